package dev.allocline.cxf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.cxf.internal.FaultAnswerInterceptor;
import dev.allocline.jaxrs.AllocLineFilter;
import dev.allocline.line.CanonicalLine;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Application;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.RuntimeDelegate;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.cxf.Bus;
import org.apache.cxf.BusFactory;
import org.apache.cxf.endpoint.Server;
import org.apache.cxf.jaxrs.JAXRSServerFactoryBean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * allocline-cxf on CXF 4.2 with the Jetty transport, over real HTTP on loopback: each test starts its own
 * bus and server the way a CXF user does ({@code RuntimeDelegate.createEndpoint}, the filter in
 * {@code getSingletons()}), with the adapter reached one way or not at all, and sends a request whose
 * resource throws an exception no mapper maps.
 */
class CxfFaultLineTest {

    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final AtomicLong IDS = new AtomicLong();

    final ConcurrentLinkedQueue<CanonicalLine> lines = new ConcurrentLinkedQueue<>();
    AllocLineFilter filter;
    Bus bus;
    Server server;
    String base;

    @Path("/f")
    @Produces(MediaType.TEXT_PLAIN)
    public static final class Api {
        @GET
        @Path("unmapped")
        public String unmapped() {
            throw new IllegalStateException("not mapped by the application");
        }

        @GET
        @Path("ok")
        public String ok() {
            return "ok";
        }
    }

    enum Adapter { BUS_EXTENSION, FEATURE_ONLY, NONE }

    /** Starts CXF on a bus of its own; {@code properties} are the endpoint's (CXF's contextual properties). */
    @SuppressWarnings("deprecation") // getSingletons(): how the README registers the filter
    void start(Adapter adapter, Map<String, Object> properties) throws Exception {
        filter = AllocLineFilter.builder().defaultSink(false).requestIdHeader("X-Request-Id").sink(lines::add).build();
        bus = BusFactory.newInstance().createBus(); // loads every META-INF/cxf/bus-extensions.txt, ours included
        if (adapter != Adapter.BUS_EXTENSION) {
            // a bus built without our extension
            assertTrue(bus.getOutFaultInterceptors().removeIf(i -> i instanceof FaultAnswerInterceptor),
                    "the bus extension installed the interceptor");
        }
        Application app = new Application() {
            @Override
            public Set<Object> getSingletons() {
                return Set.of(filter, new Api());
            }
        };
        JAXRSServerFactoryBean factory = RuntimeDelegate.getInstance().createEndpoint(app, JAXRSServerFactoryBean.class);
        factory.setBus(bus);
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        base = "http://127.0.0.1:" + port + "/api";
        factory.setAddress(base);
        factory.setProperties(properties);
        if (adapter == Adapter.FEATURE_ONLY) {
            factory.getFeatures().add(new AllocLineCxfFeature());
        }
        server = factory.create();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.destroy();
        }
        if (bus != null) {
            bus.shutdown(true);
        }
        if (filter != null) {
            filter.close();
        }
    }

    HttpResponse<String> get(String path, String id) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).header("X-Request-Id", id)
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Every line of request {@code id} once some arrived, or none after a wait for one. */
    List<CanonicalLine> linesOf(String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<CanonicalLine> found;
        while ((found = lines.stream().filter(l -> l.requestId().equals(id)).toList()).isEmpty()
                && System.nanoTime() - deadline < 0) {
            Thread.sleep(2);
        }
        return found;
    }

    /** A request after {@code id} on the same server: its line proves the earlier line was not just late. */
    void assertServerStillWrites() throws Exception {
        String later = "later-" + IDS.incrementAndGet();
        assertEquals(200, get("/f/ok", later).statusCode());
        assertEquals(1, linesOf(later).size());
    }

    @Test
    void withTheJarOnTheClassPathAnUnmappedExceptionHasOneLineWithTheContainersStatus() throws Exception {
        start(Adapter.BUS_EXTENSION, Map.of());
        String id = "u-" + IDS.incrementAndGet();
        assertEquals(500, get("/f/unmapped", id).statusCode());
        List<CanonicalLine> l = linesOf(id);
        assertServerStillWrites(); // and no second line for it
        assertEquals(1, linesOf(id).size(), () -> "one line: " + l);
        assertEquals(500, l.get(0).status());
        // Written before the container sends its 500: not claimed as written, and the line says who answers.
        assertFalse(l.get(0).responseWritten(), l::toString);
        assertEquals("container", l.get(0).fields().get("answered_by"), l::toString);
        assertEquals("/api/f/unmapped", l.get(0).httpRoute());
        assertTrue(l.get(0).allocatedBytes() >= 0, "counted up to CXF's fault chain: " + l);
    }

    @Test
    void theFeatureAloneDoesTheSameOnABusWithoutTheExtension() throws Exception {
        start(Adapter.FEATURE_ONLY, Map.of());
        String id = "u-" + IDS.incrementAndGet();
        assertEquals(500, get("/f/unmapped", id).statusCode());
        List<CanonicalLine> l = linesOf(id);
        assertEquals(1, l.size(), () -> "one line: " + l);
        assertEquals(500, l.get(0).status());
    }

    /**
     * The control: without the adapter nothing writes the line when CXF answers (the adapter writes it before
     * the container's answer goes out, so it would be there when the client has its 500). The core's
     * fallback may write it later, with {@code status=0}, when the same thread starts another request.
     */
    @Test
    void withoutTheAdapterCxfAnswersWithNoLine() throws Exception {
        start(Adapter.NONE, Map.of());
        String id = "u-" + IDS.incrementAndGet();
        assertEquals(500, get("/f/unmapped", id).statusCode());
        assertEquals(List.of(), lines.stream().filter(l -> l.requestId().equals(id)).toList());
        assertServerStillWrites();
        assertTrue(lines.stream().filter(l -> l.requestId().equals(id)).allMatch(l -> l.status() == 0),
                () -> "at most the core's end_not_seen fallback: " + lines);
    }

    /** With propagation off CXF writes its own XML fault (500): the line follows, after the write. */
    @Test
    void whenCxfWritesTheFaultItselfTheLineHasTheStatusItSent() throws Exception {
        start(Adapter.BUS_EXTENSION, Map.of("org.apache.cxf.propagate.exception", false));
        String id = "u-" + IDS.incrementAndGet();
        HttpResponse<String> r = get("/f/unmapped", id);
        assertEquals(500, r.statusCode());
        assertTrue(r.body().contains("XMLFault"), "CXF's own fault body: " + r.body());
        List<CanonicalLine> l = linesOf(id);
        assertEquals(1, l.size(), () -> "one line: " + l);
        assertEquals(500, l.get(0).status());
        assertTrue(l.get(0).responseWritten(), l::toString);
        assertNull(l.get(0).fields().get("answered_by"), "CXF sent it before the line: " + l);
    }

    /** The adapter only watches: the client gets the same answer, byte for byte, with it and without it. */
    @Test
    void theAnswerIsTheSameWithAndWithoutTheAdapter() throws Exception {
        start(Adapter.NONE, Map.of());
        HttpResponse<String> without = get("/f/unmapped", "same-1");
        String withoutBody = without.body().replace(base, "<base>"); // Jetty's error page names the URI
        stop();
        start(Adapter.BUS_EXTENSION, Map.of());
        HttpResponse<String> with = get("/f/unmapped", "same-2");
        assertEquals(without.statusCode(), with.statusCode());
        assertEquals(withoutBody, with.body().replace(base, "<base>"));
        assertEquals(without.headers().firstValue("content-type"), with.headers().firstValue("content-type"));
        assertFalse(with.headers().firstValue("X-Request-Id").isPresent(),
                "no response filter ran, so no echoed id: the adapter adds nothing to the answer");
    }
}
