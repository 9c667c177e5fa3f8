package dev.allocline.jersey;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.allocline.testing.InProcess;
import dev.allocline.testing.LineCollector;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The route is the matched template: low cardinality, regexes stripped, slashes normalised. */
class RouteTemplatesTest {

    @Path("/clusters/{cluster_id}")
    public static final class Clusters {
        @GET
        @Path("databases")
        public String databases(@PathParam("cluster_id") String id) {
            return "dbs";
        }

        @GET
        @Path("nodes/{node: [0-9]+}")
        public String node(@PathParam("node") int node) {
            return "node";
        }

        @Path("tables/{table}")
        public Table table(@PathParam("table") String table) {
            return new Table();
        }
    }

    /** A sub-resource reached through a locator. */
    public static final class Table {
        @GET
        @Path("rows/{row: [a-f]{2}[0-9]*}")
        public String row() {
            return "row";
        }

        @GET
        public String self() {
            return "table";
        }
    }

    /** A second way to the same sub-resource: its methods are the same objects, its routes are not. */
    @Path("/archive")
    public static final class Archive {
        @Path("old/{table}")
        public Table table(@PathParam("table") String table) {
            return new Table();
        }
    }

    @Path("/slashes/")
    public static final class Slashes {
        @GET
        @Path("/many/")
        public String get() {
            return "slashes";
        }
    }

    static final LineCollector LINES = new LineCollector();
    static InProcess app;

    @BeforeAll
    static void start() {
        app = new InProcess(Apps.withFeature(LINES, Clusters.class, Slashes.class, Archive.class));
    }

    private static String routeOf(String path) {
        LINES.drain(java.time.Duration.ZERO);
        assertEquals(200, app.send("GET", path), path);
        return LINES.next().httpRoute();
    }

    @Test
    void nestedResourceTemplatesAreJoined() {
        assertEquals("/clusters/{cluster_id}/databases", routeOf("/clusters/c-17/databases"));
    }

    @Test
    void regexSuffixesAreStripped() {
        assertEquals("/clusters/{cluster_id}/nodes/{node}", routeOf("/clusters/c-1/nodes/42"));
    }

    @Test
    void subResourceLocatorsAreJoined() {
        assertEquals("/clusters/{cluster_id}/tables/{table}/rows/{row}", routeOf("/clusters/c/tables/t/rows/ab12"));
        assertEquals("/clusters/{cluster_id}/tables/{table}", routeOf("/clusters/c/tables/t"));
    }

    @Test
    void oneSubResourceMethodReachedThroughTwoLocatorsKeepsTwoRoutesWhenRepeated() {
        // Routes are remembered per resource method: a method reached by another locator must not inherit
        // the route remembered for the first, however often the two alternate.
        for (int i = 0; i < 3; i++) {
            assertEquals("/clusters/{cluster_id}/tables/{table}/rows/{row}", routeOf("/clusters/c/tables/t/rows/ab1"));
            assertEquals("/archive/old/{table}/rows/{row}", routeOf("/archive/old/t/rows/cd2"));
            assertEquals("/archive/old/{table}", routeOf("/archive/old/t"));
            assertEquals("/clusters/{cluster_id}/tables/{table}", routeOf("/clusters/c/tables/t"));
        }
    }

    @Test
    void aRememberedRouteIsTheSameOnEveryRequest() {
        for (int i = 0; i < 3; i++) {
            assertEquals("/clusters/{cluster_id}/databases", routeOf("/clusters/c-" + i + "/databases"));
            assertEquals("/clusters/{cluster_id}/nodes/{node}", routeOf("/clusters/c-" + i + "/nodes/" + i));
        }
    }

    @Test
    void duplicateSlashesCollapse() {
        assertEquals("/slashes/many", routeOf("/slashes/many"));
    }

    @Test
    void normaliseHandlesBracesInsideRegexes() {
        assertEquals("/a/{id}/b", dev.allocline.internal.accounting.Routes.normalise("//a/{ id : [0-9]{3}\\}? }//b/"));
        assertEquals("/", dev.allocline.internal.accounting.Routes.normalise("//"));
    }

    @Test
    void routeIncludesTheApplicationsBasePathLikeThePath() {
        LineCollector lines = new LineCollector();
        try (dev.allocline.testing.LoopbackServer server = dev.allocline.testing.LoopbackServer.start(
                Apps.withFeature(lines, Clusters.class), "/api/")) {
            assertEquals(200, server.get("/api/clusters/c-9/databases").statusCode());
            dev.allocline.line.CanonicalLine line = lines.next();
            assertEquals("/api/clusters/c-9/databases", line.httpPath());
            assertEquals("/api/clusters/{cluster_id}/databases", line.httpRoute());
        }
    }

    /**
     * A servlet container hands the context path over raw, so one application's base path arrives as
     * {@code /app;x=1}, {@code /app;x=2} or {@code /%61pp}: each must give the same route, or every variant
     * is a route and a metrics series of its own, without bound.
     */
    @Test
    void aBasePathSpeltDifferentlyPerRequestIsOneRoute() throws Exception {
        LineCollector lines = new LineCollector();
        org.glassfish.jersey.server.ApplicationHandler handler =
                new org.glassfish.jersey.server.ApplicationHandler(Apps.withFeature(lines, Clusters.class));
        java.util.Set<String> routes = new java.util.TreeSet<>();
        for (String base : new String[] {"/app", "/app;x=1", "/app;x=2", "/%61pp", "/app;jsessionid=abc", "/%61%70p;v=9"}) {
            java.net.URI baseUri = java.net.URI.create("http://localhost" + base + "/");
            org.glassfish.jersey.server.ContainerRequest request = new org.glassfish.jersey.server.ContainerRequest(
                    baseUri, baseUri.resolve("clusters/c-1/databases"), "GET", null,
                    new org.glassfish.jersey.internal.MapPropertiesDelegate(), handler.getConfiguration());
            assertEquals(200, handler.apply(request, new java.io.ByteArrayOutputStream()).get().getStatus(), base);
            routes.add(lines.next().httpRoute());
        }
        assertEquals(java.util.Set.of("/app/clusters/{cluster_id}/databases"), routes);
        // The portable filter joins its routes the same way.
        assertEquals("/app/clusters/{cluster_id}", dev.allocline.internal.accounting.Routes.join("/app;x=1/",
                "/clusters/{cluster_id}"));
        assertEquals("/app/clusters/{cluster_id}", dev.allocline.internal.accounting.Routes.join("/%61pp",
                "/clusters/{cluster_id}"));
        assertEquals("/a%2Fb/x", dev.allocline.internal.accounting.Routes.join("/a%2Fb", "/x"),
                "only unreserved characters are decoded");
    }

    /**
     * Tomcat's context path is the raw prefix of the request that normalises to it: under {@code /app},
     * {@code /x1/../app} and {@code /x2/../app} are each a base path a client chose. Dot-segments are
     * resolved (RFC 3986 §5.2.4) and escapes compared case-insensitively, so each is the one route.
     * {@code TomcatContextPathTest} (allocline-micrometer) sends such requests to a real Tomcat.
     */
    @Test
    void aBasePathWithDotSegmentsOrEscapesInEitherCaseIsOneRoute() {
        java.util.Set<String> routes = new java.util.TreeSet<>();
        for (String base : new String[] {"/app", "/x1/../app", "/x2/../app/", "/./app", "/x/./../app/.", "/x/y/../../app",
                "/../app", "/app/sub/..", "/%2E%2E/app", "/x/%2e%2e/app"}) {
            routes.add(dev.allocline.internal.accounting.Routes.join(base, "/r/{id}"));
        }
        assertEquals(java.util.Set.of("/app/r/{id}"), routes);
        assertEquals(dev.allocline.internal.accounting.Routes.join("/caf%C3%A9", "/r"),
                dev.allocline.internal.accounting.Routes.join("/caf%c3%a9", "/r"), "one byte, either case");
        assertEquals("/r", dev.allocline.internal.accounting.Routes.join("/x/..", "/r"), "the root context");
        assertEquals("/a.b/c..d/r", dev.allocline.internal.accounting.Routes.join("/a.b/c..d", "/r"),
                "dots inside a segment are not dot-segments");
    }
}
