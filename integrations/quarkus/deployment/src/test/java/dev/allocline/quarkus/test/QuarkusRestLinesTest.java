package dev.allocline.quarkus.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.line.CanonicalLine;
import io.quarkus.test.QuarkusUnitTest;
import io.quarkus.test.common.http.TestHTTPResource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Quarkus REST application with only the extension added: every kind of request gets one line, exact
 * within {@link #SLACK}, over real HTTP on loopback.
 */
class QuarkusRestLinesTest {

    /** What Quarkus REST, Vert.x and the JDK allocate for a request beside the code's own bytes. */
    static final long SLACK = 256L << 10;
    static final long MIB = Allocating.MIB;

    @RegisterExtension
    static final QuarkusUnitTest APP = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(CapturedLines.class, CapturedLines.Captured.class, Allocating.class, Allocating.Allocation.class,
                    Allocating.Conflict.class, Allocating.ConflictMapper.class, Allocating.AllocationWriter.class))
            .overrideConfigKey("quarkus.http.root-path", "/api")
            .overrideConfigKey("quarkus.allocline.request-id-header", "X-Request-Id")
            .overrideConfigKey("quarkus.http.test-port", "0");

    @TestHTTPResource("/")
    URI base;

    static final CapturedLines LINES = CapturedLines.attach();

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    HttpResponse<String> get(String path, String requestId) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
        if (requestId != null) {
            b.header("X-Request-Id", requestId);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    CanonicalLine lineOf(String requestId) throws InterruptedException {
        return LINES.await(l -> l.requestId().equals(requestId)).line();
    }

    static void assertExact(long expected, CanonicalLine line) {
        assertTrue(line.allocatedBytes() >= expected && line.allocatedBytes() <= expected + SLACK,
                "alloc_bytes " + line.allocatedBytes() + " outside [" + expected + ", " + expected + " + " + SLACK
                        + "]: " + line);
    }

    @Test
    void aBlockingMethodOnAWorkerThreadIsExactAndSeesTheRequest() throws Exception {
        // The application's first request pays for classes loaded on its threads (1.2 MB seen): warm up first.
        get("alloc/worker/1", "worker-warm-up");
        HttpResponse<String> r = get("alloc/worker/16", "worker-16");
        assertEquals(200, r.statusCode());
        assertEquals("worker-16", r.headers().firstValue("X-Request-Id").orElse(null), "the id goes back in the header");
        CanonicalLine line = lineOf("worker-16");
        assertExact(16 * MIB, line);
        assertEquals("/api/alloc/worker/{mib}", line.httpRoute());
        assertEquals("/api/alloc/worker/16", line.httpPath());
        assertEquals("GET", line.httpMethod());
        assertEquals(200, line.status());
        assertTrue(line.responseWritten());
        assertEquals(2, line.allocThreads(), "the event loop and the worker: " + line);
        assertEquals(16L, ((Number) line.fields().get("mib")).longValue(), "AllocLine.put on the worker thread");
        assertEquals("worker-16", line.fields().get("seen_id"), "AllocLine.requestId on the worker thread");
        long soFar = ((Number) line.fields().get("so_far")).longValue();
        assertTrue(soFar >= 16 * MIB && soFar <= line.allocatedBytes(), "AllocLine.allocatedBytes on the worker: " + soFar);
    }

    @Test
    void aRequestAnsweredAtOnceOnTheEventLoopIsExact() throws Exception {
        get("alloc/loop/1", "loop-warm-up");
        assertEquals(200, get("alloc/loop/8", "loop-8").statusCode());
        CanonicalLine line = lineOf("loop-8");
        assertExact(8 * MIB, line);
        assertEquals("/api/alloc/loop/{mib}", line.httpRoute());
        assertEquals(1, line.allocThreads(), line.toString());
    }

    @Test
    void requestsSuspendedOnTheEventLoopAreEachExactWhileOthersAllocateBesideThem() throws Exception {
        // The first request of each kind pays for classes loaded and initialised on its threads: warm up first.
        List<CompletableFuture<HttpResponse<String>>> warmUp = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            send(warmUp, "alloc/suspended/0/10", null);
            send(warmUp, "alloc/suspended/1/10", null);
        }
        for (CompletableFuture<HttpResponse<String>> c : warmUp) {
            assertEquals(200, c.get().statusCode());
        }
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        List<String> small = new ArrayList<>();
        List<String> large = new ArrayList<>();
        List<String> workers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 20; j++) {
                small.add(send(calls, "alloc/suspended/0/" + (100 + 10 * j), "small-" + i + "-" + j));
            }
            large.add(send(calls, "alloc/suspended/32/150", "large-" + i));
            workers.add(send(calls, "alloc/worker/24", "busy-worker-" + i));
        }
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            assertEquals(200, c.get().statusCode());
        }
        for (String id : small) {
            CanonicalLine line = lineOf(id);
            assertExact(0, line);
            assertEquals("/api/alloc/suspended/{mib}/{ms}", line.httpRoute());
        }
        for (String id : large) {
            assertExact(32 * MIB, lineOf(id));
        }
        for (String id : workers) {
            assertExact(24 * MIB, lineOf(id));
        }
    }

    private String send(List<CompletableFuture<HttpResponse<String>>> calls, String path, String id) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
        if (id != null) {
            b.header("X-Request-Id", id);
        }
        calls.add(http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()));
        return id;
    }

    @Test
    void laterRunsFindTheRequestInTheFieldTheBuildGaveQuarkusContextNotInTheRoutingContextsMap() throws Exception {
        HttpResponse<String> r = get("alloc/carried", "carried-1");
        assertEquals("carried-1", r.body(), "the worker thread's run read the request from the context's own field");
    }

    @Test
    void aUniResumedOnTheEventLoopIsExact() throws Exception {
        get("alloc/uni/1", "uni-warm-up");
        assertEquals(200, get("alloc/uni/8", "uni-8").statusCode());
        CanonicalLine line = lineOf("uni-8");
        assertExact(8 * MIB, line);
        assertEquals("/api/alloc/uni/{mib}", line.httpRoute());
    }

    @Test
    void workHandedToTheApplicationsOwnPoolWithWrapCounts() throws Exception {
        get("alloc/wrapped/2", "wrapped-warm-up");
        assertEquals(200, get("alloc/wrapped/16", "wrapped-16").statusCode());
        CanonicalLine line = lineOf("wrapped-16");
        assertExact(16 * MIB, line);
        assertEquals(3, line.allocThreads(), "event loop, worker, pool thread: " + line);
    }

    @Test
    void aClientGoneBeforeTheResponseGetsALineSayingItWasNotWritten() throws Exception {
        try (java.net.Socket s = new java.net.Socket(base.getHost(), base.getPort())) {
            s.getOutputStream().write(("GET " + base.getPath() + "alloc/slow/4/300 HTTP/1.1\r\nHost: localhost\r\n"
                    + "X-Request-Id: gone\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
        } // closed long before the method answers
        CanonicalLine line = lineOf("gone");
        assertFalse(line.responseWritten(), line.toString());
        assertEquals(0, line.status(), "no status went out: " + line);
        assertEquals("/api/alloc/slow/{mib}/{ms}", line.httpRoute());
        assertEquals(1, LINES.all(l -> l.requestId().equals("gone")).size(), "one line");
    }

    @Test
    void aPathNoRouteMatchesGetsA404Line() throws Exception {
        assertEquals(404, get("nothing/here", "no-route").statusCode());
        CanonicalLine line = lineOf("no-route");
        assertEquals(404, line.status());
        assertEquals("", line.httpRoute());
        assertTrue(line.allocatedBytes() >= 0 && line.allocatedBytes() < SLACK, line.toString());
        assertEquals(1, LINES.all(l -> l.requestId().equals("no-route")).size(), "one line");
    }

    @Test
    void aMappedExceptionGetsItsStatusAndRoute() throws Exception {
        assertEquals(409, get("alloc/mapped", "mapped").statusCode());
        CanonicalLine line = lineOf("mapped");
        assertEquals(409, line.status());
        assertEquals("/api/alloc/mapped", line.httpRoute());
    }

    @Test
    void anUnmappedExceptionAnsweredByQuarkusErrorHandlerGetsA500LineWithItsBytes() throws Exception {
        // The same failure without the 4 MiB: what Quarkus' error handler itself costs (warmed up first), so the
        // line is checked from above as well as from below.
        get("alloc/unmapped/0", "unmapped-warm-up");
        assertEquals(500, get("alloc/unmapped/0", "unmapped-0").statusCode());
        long handlerOnly = lineOf("unmapped-0").allocatedBytes();
        assertEquals(500, get("alloc/unmapped/4", "unmapped").statusCode());
        CanonicalLine line = lineOf("unmapped");
        assertEquals(500, line.status());
        assertEquals("/api/alloc/unmapped/{mib}", line.httpRoute());
        assertTrue(line.allocatedBytes() >= 4 * MIB, line.toString());
        long own = line.allocatedBytes() - handlerOnly;
        assertTrue(own >= 4 * MIB - SLACK && own <= 4 * MIB + SLACK,
                "4 MiB more than the same failure without them (" + handlerOnly + "): " + line);
        assertEquals(1, LINES.all(l -> l.requestId().equals("unmapped")).size(), "one line");
    }

    @Test
    void theTextIsWrittenOnceAndStartsWithThePrefix() throws Exception {
        assertEquals(200, get("alloc/worker/1", "text-once").statusCode());
        CapturedLines.Captured c = LINES.await(l -> l.requestId().equals("text-once"));
        assertTrue(c.text().startsWith("canonical_api_line request_id=text-once "), c.text());
        assertEquals(c.text().indexOf("alloc_bytes="), c.text().lastIndexOf("alloc_bytes="), c.text());
    }

    @Test
    void aClientChosenIdThatIsNotWellFormedIsReplaced() throws Exception {
        HttpResponse<String> r = get("alloc/worker/0", "bad id\"x");
        String id = r.headers().firstValue("X-Request-Id").orElseThrow();
        assertFalse(id.contains("\""), id);
        assertEquals(32, lineOf(id).requestId().length());
    }
}
