package dev.allocline.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.line.CanonicalLine;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.server.model.Resource;
import org.glassfish.jersey.servlet.ServletContainer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client cannot make routes (or {@code uri} series) by spelling the base path differently. Tomcat hands
 * over the context path as the raw prefix of the request that normalises to it, so under the context
 * {@code /app} the requests {@code /x1/../app/api/r}, {@code /x2/../app/api/r}, ... each came with a base
 * path of their own; every one must be the route {@code /app/api/r}, and the metrics must keep one series.
 * Real Tomcat 11, Jersey's servlet, requests written raw on a socket (an HTTP client would normalise them).
 */
class TomcatContextPathTest {

    @Path("/r")
    public static final class R {
        @GET
        public String get() {
            return "r";
        }
    }

    @Path("/s")
    public static final class S {
        @GET
        public String get() {
            return "s";
        }
    }

    @Path("/c/{id: [0-9]+}")
    public static final class C {
        @GET
        public String get() {
            return "c";
        }

        @GET
        @Path("items")
        public String items() {
            return "items";
        }
    }

    /**
     * A sub-resource locator returning a resource built at run time, named after the request: every name is a
     * route of its own ({@code /app/api/dyn/{name}/<name>}), the way an application with generated resources
     * (or a client, through one) makes routes without bound.
     */
    @Path("/dyn")
    public static final class Dynamic {
        @Path("{name}")
        public Resource locate(@PathParam("name") String name) {
            Resource.Builder b = Resource.builder();
            b.addChildResource(name).addMethod("GET").handledBy(ctx -> Response.ok("dyn").build());
            return b.build();
        }
    }

    private final List<CanonicalLine> lines = new CopyOnWriteArrayList<>();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private Tomcat tomcat;
    private int port;

    @BeforeEach
    void start() throws Exception {
        java.nio.file.Path dir = Files.createTempDirectory("allocline-tomcat");
        tomcat = new Tomcat();
        tomcat.setBaseDir(dir.toString());
        tomcat.setPort(0);
        tomcat.setHostname("127.0.0.1");
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        Context ctx = tomcat.addContext("/app", dir.toString());
        ResourceConfig rc = new ResourceConfig(R.class, S.class, C.class, Dynamic.class).register(AllocLineFeature.builder().defaultSink(false)
                .sink(lines::add).sink(MicrometerSink.builder(registry).maxUris(8).build()).build());
        Tomcat.addServlet(ctx, "jersey", new ServletContainer(rc));
        ctx.addServletMappingDecoded("/api/*", "jersey");
        tomcat.start();
        port = tomcat.getConnector().getLocalPort();
    }

    @AfterEach
    void stop() throws Exception {
        tomcat.stop();
        tomcat.destroy();
    }

    /** The status of {@code GET rawTarget}, the request line written as given. */
    int get(String rawTarget) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + rawTarget + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            String all = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            return Integer.parseInt(all.substring(9, 12));
        }
    }

    /** Waits until {@code n} lines were written (the line follows the response). */
    void awaitLines(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (lines.size() < n && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        assertEquals(n, lines.size(), () -> "lines: " + lines);
    }

    @Test
    void everySpellingOfTheContextPathIsOneRouteAndOneSeries() throws Exception {
        List<String> targets = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            targets.add("/x" + i + "/../app/api/r");       // a dot-segment before the context
            targets.add("/app;v=" + i + "/api/r");          // a matrix parameter on the context
            targets.add("/x" + i + "/./../app/./api/r");   // both kinds of dot-segment
        }
        targets.add("/%61pp/api/r");
        targets.add("/ap%70/api/r");
        targets.add("//app/api/r");
        targets.add("/app/api/r");
        Map<String, Integer> statuses = new TreeMap<>();
        for (String t : targets) {
            statuses.put(t, get(t));
        }
        // Tomcat maps every one to /app; Jersey's servlet answers 404 (no route) to those with dot-segments,
        // whose raw context path does not prefix the request's path.
        awaitLines((int) statuses.values().stream().filter(s -> s != 400).count());
        Set<String> routes = lines.stream().map(CanonicalLine::httpRoute).filter(r -> !r.isEmpty())
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(Set.of("/app/api/r"), routes, () -> "one route for one resource method: " + lines);
        assertTrue(lines.stream().allMatch(l -> l.status() == 200 ? l.httpRoute().equals("/app/api/r")
                : l.status() == 404 && l.httpRoute().isEmpty()), () -> "every line: " + lines);
        assertTrue(statuses.get("/x7/../app/api/r") == 200 || statuses.get("/x7/../app/api/r") == 404, statuses::toString);
        assertEquals(200, statuses.get("/app;v=7/api/r"));
        // The cap is 8 series: a route of the application seen after all of them still has its own.
        int before = lines.size();
        assertEquals(200, get("/app/api/s"));
        awaitLines(before + 1);
        assertEquals(Set.of("/app/api/r", "/app/api/s", "NOT_FOUND"), uris(registry.scrape()));
    }

    @Test
    void routesTheApplicationDeclaredKeepTheirSeriesWhateverCameFirst() throws Exception {
        // Twenty routes made at run time fill the 8 slots of undeclared routes before the application's own
        // routes are asked once.
        for (int i = 0; i < 20; i++) {
            assertEquals(200, get("/app/api/dyn/n" + i + "/n" + i));
        }
        awaitLines(20);
        assertTrue(lines.stream().allMatch(l -> l.httpRoute().startsWith("/app/api/dyn/{name}/n")), lines::toString);
        assertEquals(200, get("/app/api/r"));
        assertEquals(200, get("/app/api/s"));
        assertEquals(200, get("/app/api/c/7"));
        assertEquals(200, get("/app/api/c/8/items"));
        assertEquals(404, get("/app/api/none"));
        awaitLines(25);
        Set<String> uris = uris(registry.scrape());
        // Every declared route (the regular expression reduced to the name) has its own series ...
        assertTrue(uris.containsAll(Set.of("/app/api/r", "/app/api/s", "/app/api/c/{id}", "/app/api/c/{id}/items",
                "NOT_FOUND")), uris::toString);
        // ... and the run-time routes have 8 and share OTHER past them.
        assertEquals(8, uris.stream().filter(u -> u.startsWith("/app/api/dyn/")).count(), uris::toString);
        assertTrue(uris.contains(MicrometerSink.OTHER_URIS), uris::toString);
        Map<String, Double> other = MicrometerSinkTest.samples(registry.scrape(),
                "http_server_requests_allocated_bytes_count");
        double inOther = other.entrySet().stream().filter(e -> e.getKey().contains("uri=\"OTHER\""))
                .mapToDouble(Map.Entry::getValue).sum();
        assertEquals(12.0, inOther, other::toString);
    }

    static Set<String> uris(String scrape) {
        return MicrometerSinkTest.samples(scrape, "http_server_requests_allocated_bytes_count").keySet().stream()
                .map(labels -> labels.replaceAll(".*uri=\"([^\"]*)\".*", "$1")).collect(Collectors.toCollection(TreeSet::new));
    }
}
