package dev.allocline.portable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.jaxrs.AllocLineFilter;
import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineFormat;
import jakarta.ws.rs.SeBootstrap;
import jakarta.ws.rs.ext.RuntimeDelegate;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The portable filter's behaviour suite. The same class runs twice, once with only Jersey and once with
 * only RESTEasy on Undertow on the class path (two surefire executions); the runtime is started through
 * the standard {@code SeBootstrap}, over real HTTP on loopback, with the application under {@code /api}.
 * Where a runtime cannot give something, the test asserts what it does instead, and the README's
 * coverage table says the same.
 */
class PortableFilterTest {

    /** Slack above what the code allocated: the runtime's own work on the request's threads. */
    static final long SLACK = 256L << 10;

    static final ConcurrentLinkedQueue<CanonicalLine> LINES = new ConcurrentLinkedQueue<>();
    static final AtomicLong IDS = new AtomicLong();
    static SeBootstrap.Instance instance;
    static AllocLineFilter filter;
    static URI base;
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    static String runtime() {
        String delegate = RuntimeDelegate.getInstance().getClass().getName();
        return delegate.contains("jersey") ? "jersey" : delegate.contains("resteasy") ? "resteasy"
                : delegate.contains("cxf") ? "cxf" : delegate;
    }

    @BeforeAll
    static void start() throws Exception {
        filter = AllocLineFilter.builder().defaultSink(false).requestIdHeader("X-Request-Id").sink(LINES::add).build();
        instance = SeBootstrap.start(new PortableApp(filter), SeBootstrap.Configuration.builder()
                .protocol("HTTP").host("127.0.0.1").port(SeBootstrap.Configuration.FREE_PORT).rootPath("/api").build())
                .toCompletableFuture().get(60, TimeUnit.SECONDS);
        base = instance.configuration().baseUri();
        System.out.println("portable: " + runtime() + " at " + base);
        // warm up: class loading and first-call caches allocate too
        for (int i = 0; i < 100; i++) {
            get("/p/hello", 200);
            get("/p/alloc/1000", 200);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        filter.close();
        instance.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
        PortableApp.POOL.shutdownNow();
    }

    static URI uri(String path) {
        String b = base.toString();
        return URI.create((b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + path);
    }

    /** Sends with a request id of its own and returns that id. */
    static String get(String path, int status) throws Exception {
        String id = "p-" + IDS.incrementAndGet();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri(path)).header("X-Request-Id", id)
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(status, r.statusCode(), () -> path + ": " + r.body());
        return id;
    }

    /** The line of request {@code id}, waiting for it; fails if a second one arrives. */
    static CanonicalLine lineOf(String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() - deadline < 0) {
            List<CanonicalLine> found = LINES.stream().filter(l -> l.requestId().equals(id)).toList();
            if (!found.isEmpty()) {
                assertEquals(1, found.size(), () -> "one line per request: " + found);
                return found.get(0);
            }
            Thread.sleep(2);
        }
        throw new AssertionError("no line for request " + id);
    }

    static CanonicalLine line(String path, int status) throws Exception {
        CanonicalLine l = lineOf(get(path, status));
        System.out.println("portable " + runtime() + ": " + CanonicalLineFormat.logfmt(l));
        return l;
    }

    // ---- 1. one line per request ----

    @Test
    void aSuccessfulRequestHasOneLineWithTheApplicationsFields() throws Exception {
        CanonicalLine l = line("/p/hello", 200);
        assertEquals(200, l.status());
        assertEquals("/api/p/hello", l.httpPath());
        assertEquals("hello", l.fields().get("greeting"));
        assertTrue(l.responseWritten());
    }

    @Test
    void theTrustedRequestIdIsTheLinesTheApplicationsAndTheResponses() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri("/p/hello")).header("X-Request-Id", "lb-77")
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("hello lb-77", r.body(), "AllocLine.requestId() inside the resource");
        assertEquals("lb-77", r.headers().firstValue("X-Request-Id").orElse(null), "echoed on the response");
        assertEquals("lb-77", lineOf("lb-77").requestId());
    }

    @Test
    void aRequestWithNoRouteHasOneLine() throws Exception {
        CanonicalLine l = line("/nothing/here", 404);
        assertEquals(404, l.status());
        assertEquals("", l.httpRoute(), "nothing matched");
    }

    @Test
    void anExceptionMappedByTheApplicationHasOneLine() throws Exception {
        CanonicalLine l = line("/p/mapped", 409);
        assertEquals(409, l.status());
        assertEquals("/api/p/mapped", l.httpRoute());
    }

    @Test
    void anAsyncResponseResumedFromAnotherThreadHasOneLineWithTheWrite() throws Exception {
        long n = 8L << 20;
        CanonicalLine l = line("/p/resumed/" + n, 200);
        assertTrue(l.allocatedBytes() >= n, "the write after the resumption is counted: " + l);
        if (runtime().equals("cxf")) {
            // CXF does not write on the resuming thread: resume() re-dispatches the request to the container
            // (Servlet AsyncContext.dispatch) and a Jetty pool thread writes, at times the very thread that ran
            // the method, so the line counts one or two threads.
            assertTrue(l.allocThreads() >= 1, l::toString);
        } else {
            // Jersey and RESTEasy write on the resuming thread: the request thread and the resuming one
            assertTrue(l.allocThreads() >= 2, l::toString);
        }
    }

    @Test
    void aWrappedTaskIsCountedAndItsFieldsArrive() throws Exception {
        long n = 8L << 20;
        CanonicalLine l = line("/p/wrapped/" + n, 200);
        assertTrue(l.allocatedBytes() >= n, l::toString);
        assertEquals("wrapped", l.fields().get("where"));
    }

    /**
     * A suspended method may return before its request is answered and nothing standard says when, so
     * the request thread leaves the request when the method starts: its body is not followed, and a
     * task wrapped there belongs to no request. What the line then says is the request's work up to
     * the method and from its resumption on (the resuming thread's response filters and write): less
     * than the task allocated, never another request's bytes.
     */
    @Test
    void aTaskWrappedInASuspendedMethodsBodyIsNotCounted() throws Exception {
        long n = 8L << 20;
        CanonicalLine l = line("/p/wrapped-suspended/" + n, 200);
        assertTrue(l.allocatedBytes() >= 0 && l.allocatedBytes() < SLACK, l::toString);
        assertEquals(null, l.fields().get("where"), "the body saw no request: " + l);
    }

    @Test
    void aClientThatDisconnectsMidResponseHasOneLine() throws Exception {
        String id = "p-gone-" + IDS.incrementAndGet();
        HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(uri("/p/endless")).header("X-Request-Id", id)
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body()) {
            in.readNBytes(64 * 1024);
        } // closing the stream early closes the connection
        CanonicalLine l = lineOf(id);
        System.out.println("portable " + runtime() + " disconnect: " + CanonicalLineFormat.logfmt(l));
        assertFalse(l.responseWritten(), "the write failed: " + l);
    }

    @Test
    void anUnmappedExceptionIsAnsweredAsTheRuntimeDocuments() throws Exception {
        // Jersey and RESTEasy turn it into a 500 whose response still passes the response filters. CXF hands it
        // to its out-fault chain, which rethrows it to the servlet container (500) with no response filter
        // run: the line is allocline-cxf's, found through its bus extension (without it: no line at all).
        CanonicalLine l = line("/p/unmapped", 500);
        assertEquals(500, l.status());
    }

    // ---- 2. exact attribution ----

    @Test
    void theResourceMethodsAllocationsAreCounted() throws Exception {
        long n = 10L << 20;
        CanonicalLine l = line("/p/alloc/" + n, 200);
        assertTrue(l.allocatedBytes() >= n && l.allocatedBytes() <= n + SLACK, l::toString);
    }

    @Test
    void aMessageBodyWritersAllocationsAreCounted() throws Exception {
        long n = 16L << 20;
        CanonicalLine l = line("/p/heavy/" + n, 200);
        assertTrue(l.allocatedBytes() >= n && l.allocatedBytes() <= n + SLACK, l::toString);
    }

    @Test
    void aStreamingOutputsAllocationsAreCounted() throws Exception {
        int chunks = 128;
        long n = chunks * 64L * 1024;
        CanonicalLine l = line("/p/stream/" + chunks, 200);
        // each flush also makes the container allocate: real work of this request
        assertTrue(l.allocatedBytes() >= n && l.allocatedBytes() <= n + chunks * (40L << 10) + SLACK, l::toString);
    }

    // ---- 3. isolation ----

    @Test
    void parallelLargeRequestsDoNotInflateSmallOnes() throws Exception {
        List<CompletableFuture<String>> large = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            large.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return get("/p/alloc/" + (32L << 20), 200);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        List<String> small = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            small.add(get("/p/alloc/1000", 200));
        }
        long worst = 0;
        for (String id : small) {
            worst = Math.max(worst, lineOf(id).allocatedBytes());
        }
        for (CompletableFuture<String> f : large) {
            CanonicalLine l = lineOf(f.get(120, TimeUnit.SECONDS));
            assertTrue(l.allocatedBytes() >= 32L << 20 && l.allocatedBytes() <= (32L << 20) + SLACK, l::toString);
        }
        System.out.println("portable " + runtime() + " isolation: largest small request " + worst + " B");
        assertTrue(worst <= 1000 + SLACK, "small requests stay small: " + worst);
    }

    // ---- 4. routes ----

    @Test
    void aRequestRefusedByTheApplicationsAuthenticationFilterHasItsRoute() throws Exception {
        CanonicalLine l = line("/p/secret/7", 401);
        assertEquals(401, l.status());
        assertEquals("/api/p/secret/{id}", l.httpRoute());
    }

    @Test
    void theRouteIsTheTemplateUnderTheApplicationPath() throws Exception {
        CanonicalLine l = line("/p/users/42", 200);
        assertEquals("/api/p/users/42", l.httpPath());
        assertEquals("/api/p/users/{id}", l.httpRoute());
    }
}
