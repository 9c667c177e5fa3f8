package dev.allocline.quarkus.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.AllocLine;
import dev.allocline.line.CanonicalLine;
import io.quarkus.test.QuarkusUnitTest;
import io.quarkus.test.common.http.TestHTTPResource;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.MDC;

/**
 * A reactive Quarkus REST service with only the extension added, one event loop: the request's work done in Vert.x
 * callbacks on its own duplicated context (timer steps, a Vert.x HTTP client's answer, Mutiny stages, stream items
 * written as they come) is on its line, within 1.0–1.10× of what it allocated, while requests beside it on the same
 * event loop keep their own figure; a callback after the line counts nothing and leaves nothing on the event loop.
 */
class ReactiveLinesTest {

    static final long MIB = Allocating.MIB;
    /** What Quarkus REST, Vert.x and the JDK allocate for a request beside the code's own bytes. */
    static final long SLACK = QuarkusRestLinesTest.SLACK;

    @RegisterExtension
    static final QuarkusUnitTest APP = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(CapturedLines.class, CapturedLines.Captured.class, Reactive.class,
                    Reactive.Probe.class, Allocating.class, Allocating.Allocation.class, Allocating.Conflict.class,
                    Allocating.ConflictMapper.class, Allocating.AllocationWriter.class))
            .overrideConfigKey("quarkus.http.root-path", "/api")
            .overrideConfigKey("quarkus.allocline.request-id-header", "X-Request-Id")
            // One event loop: every request's dispatches interleave on the same thread.
            .overrideConfigKey("quarkus.vertx.event-loops-pool-size", "1")
            .overrideConfigKey("quarkus.http.test-port", "0");

    static final CapturedLines LINES = CapturedLines.attach();

    @TestHTTPResource("/")
    URI base;

    @Inject
    Vertx vertx;

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    HttpResponse<String> get(String path, String requestId) throws Exception {
        return http.send(request(path, requestId), HttpResponse.BodyHandlers.ofString());
    }

    HttpRequest request(String path, String requestId) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
        if (requestId != null) {
            b.header("X-Request-Id", requestId);
        }
        return b.build();
    }

    CanonicalLine lineOf(String requestId) throws InterruptedException {
        CanonicalLine line = LINES.await(l -> l.requestId().equals(requestId)).line();
        assertEquals(1, LINES.all(l -> l.requestId().equals(requestId)).size(), "one line for " + requestId);
        return line;
    }

    /** The bound: at least what the code allocated, at most 10% above it. */
    static void assertWithinTenPercent(long allocated, CanonicalLine line) {
        long b = line.allocatedBytes();
        assertTrue(b >= allocated && b <= allocated + allocated / 10,
                "alloc_bytes " + b + " not within 1.0–1.10× of " + allocated + ": " + line);
    }

    void warmUp(String path) throws Exception {
        for (int i = 0; i < 3; i++) {
            assertEquals(200, get(path, null).statusCode(), path);
        }
    }

    @Test
    void timerStepsOnTheRequestsContextAreCounted() throws Exception {
        warmUp("nb/alloc/8?ms=40");
        HttpResponse<String> r = get("nb/alloc/64?ms=600", "steps-64");
        assertEquals(200, r.statusCode());
        assertEquals("done", r.body());
        CanonicalLine line = lineOf("steps-64");
        assertWithinTenPercent(64 * MIB, line);
        assertEquals(1, line.allocThreads(), "the event loop only: " + line);
        assertEquals("steps-64", line.fields().get("seen_in_timer"), "AllocLine.requestId() in a timer: " + line);
        assertEquals("steps-64", line.fields().get("mdc_in_timer"), "the MDC in a timer: " + line);
    }

    /**
     * #38: every stretch of a request on the event loop and on a worker is one {@code dev.allocline.Request} JFR event
     * on that thread (read back from a real recording): a timer-stepped request has at least one per step, all on
     * the event loop; a request handing work to {@code executeBlocking} has them on as many threads as its line
     * counts; no two stretches overlap on a thread.
     */
    @Test
    void everyDispatchOfARequestIsAStretchEventOnItsThread() throws Exception {
        warmUp("nb/alloc/8?ms=40");
        warmUp("nb/execute-blocking/1");
        java.nio.file.Path file = java.nio.file.Files.createTempFile("quarkus-stretches", ".jfr");
        CanonicalLine steps;
        CanonicalLine blocking;
        try (jdk.jfr.Recording r = new jdk.jfr.Recording()) {
            r.enable("dev.allocline.Request");
            r.start();
            assertEquals(200, get("nb/alloc/8?ms=40&kib=64", "jfr-steps").statusCode());
            assertEquals(200, get("nb/execute-blocking/1", "jfr-blocking").statusCode());
            steps = lineOf("jfr-steps");
            blocking = lineOf("jfr-blocking");
            r.stop();
            r.dump(file);
        }
        List<jdk.jfr.consumer.RecordedEvent> events = jdk.jfr.consumer.RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("dev.allocline.Request")).toList();
        List<jdk.jfr.consumer.RecordedEvent> ofSteps = events.stream()
                .filter(e -> e.getString("request_id").equals("jfr-steps")).toList();
        assertTrue(ofSteps.size() >= 8, () -> "a stretch per timer step at least: " + ofSteps.size() + " " + ofSteps);
        assertEquals(1, ofSteps.stream().map(e -> e.getThread().getJavaThreadId()).distinct().count(),
                () -> "all on the event loop: " + ofSteps);
        assertTrue(ofSteps.stream().anyMatch(e -> e.getString("route").equals(steps.httpRoute())), ofSteps::toString);
        List<jdk.jfr.consumer.RecordedEvent> ofBlocking = events.stream()
                .filter(e -> e.getString("request_id").equals("jfr-blocking")).toList();
        assertEquals(blocking.allocThreads(), ofBlocking.stream().map(e -> e.getThread().getJavaThreadId()).distinct().count(),
                () -> "one thread per thread on the line: " + blocking + " " + ofBlocking);
        assertTrue(blocking.allocThreads() >= 2, blocking::toString);
        java.util.Map<Long, List<jdk.jfr.consumer.RecordedEvent>> byThread = events.stream()
                .collect(java.util.stream.Collectors.groupingBy(e -> e.getThread().getJavaThreadId()));
        for (List<jdk.jfr.consumer.RecordedEvent> onThread : byThread.values()) {
            List<jdk.jfr.consumer.RecordedEvent> sorted = new ArrayList<>(onThread);
            sorted.sort((a, b) -> a.getStartTime().compareTo(b.getStartTime()));
            for (int i = 1; i < sorted.size(); i++) {
                jdk.jfr.consumer.RecordedEvent previous = sorted.get(i - 1);
                jdk.jfr.consumer.RecordedEvent e = sorted.get(i);
                assertTrue(!e.getStartTime().isBefore(previous.getEndTime()),
                        () -> "stretches overlap on one thread: " + previous + e);
            }
        }
    }

    @Test
    void smallRequestsBesideLargeOnesOnTheSameEventLoopStayWithinTwiceTheirSizeAlone() throws Exception {
        String small = "nb/alloc/16?ms=320&kib=16"; // 16 steps of 16 KiB
        warmUp(small);
        warmUp("nb/alloc/8?ms=40");
        long[] alone = new long[5];
        for (int i = 0; i < alone.length; i++) {
            assertEquals(200, get(small, "alone-" + i).statusCode());
            alone[i] = lineOf("alone-" + i).allocatedBytes();
            assertTrue(alone[i] >= 256 * 1024, "each step counted: " + lineOf("alone-" + i));
        }
        Arrays.sort(alone);
        long sizeAlone = alone[alone.length / 2];

        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        List<String> smalls = new ArrayList<>();
        List<String> larges = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            larges.add("beside-large-" + i);
            calls.add(http.sendAsync(request("nb/alloc/64?ms=600", "beside-large-" + i), HttpResponse.BodyHandlers.ofString()));
            for (int j = 0; j < 8; j++) {
                String id = "beside-small-" + i + "-" + j;
                smalls.add(id);
                calls.add(http.sendAsync(request(small, id), HttpResponse.BodyHandlers.ofString()));
            }
        }
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            assertEquals(200, c.get(30, TimeUnit.SECONDS).statusCode());
        }
        for (String id : larges) {
            assertWithinTenPercent(64 * MIB, lineOf(id));
        }
        for (String id : smalls) {
            CanonicalLine line = lineOf(id);
            assertTrue(line.allocatedBytes() >= 256 * 1024 && line.allocatedBytes() <= 2 * sizeAlone,
                    "within 2× of " + sizeAlone + " (its size alone): " + line);
        }
    }

    @Test
    void aVertxClientsCallbackCountsForTheCallerAndTheCalleeKeepsItsOwnBytes() throws Exception {
        get("nb/client/1/1?callee=client-warm-up-callee", "client-warm-up");
        get("nb/client/1/1?callee=client-warm-up-callee-2", "client-warm-up-2");
        HttpResponse<String> r = get("nb/client/16/8?callee=client-callee", "client-caller");
        assertEquals(200, r.statusCode());
        assertEquals("decoded allocated 8", r.body());
        CanonicalLine caller = lineOf("client-caller");
        assertWithinTenPercent(16 * MIB, caller);
        assertEquals("client-caller", caller.fields().get("seen_in_callback"), caller.toString());
        CanonicalLine callee = lineOf("client-callee");
        assertTrue(callee.allocatedBytes() >= 8 * MIB && callee.allocatedBytes() <= 8 * MIB + SLACK,
                "the callee's own 8 MiB, nothing of the caller's: " + callee);
    }

    @Test
    void aUniCompletedOnTheRequestsContextIsCounted() throws Exception {
        warmUp("nb/uni/2");
        HttpResponse<String> r = get("nb/uni/32", "uni-32");
        assertEquals("steps 32", r.body());
        assertWithinTenPercent(32 * MIB, lineOf("uni-32"));
    }

    @Test
    void aMultiWrittenAsItsItemsComeIsCountedAndItsLineWrittenWhenItEnds() throws Exception {
        warmUp("nb/multi/2");
        HttpResponse<String> r = get("nb/multi/32", "multi-32");
        assertEquals(200, r.statusCode());
        assertEquals(32, r.body().split("allocated 1", -1).length - 1, "every item written: " + r.body());
        CanonicalLine line = lineOf("multi-32");
        assertWithinTenPercent(32 * MIB, line);
        assertTrue(line.responseWritten(), line.toString());
    }

    @Test
    void serverSentEventsWrittenAsTheyComeAreCountedAndTheLineWrittenWhenTheStreamEnds() throws Exception {
        warmUp("nb/sse/2");
        HttpResponse<String> r = get("nb/sse/32", "sse-32");
        assertEquals(200, r.statusCode());
        assertEquals(32, r.body().split("data:allocated 1", -1).length - 1, "every event written: " + r.body());
        CanonicalLine line = lineOf("sse-32");
        assertWithinTenPercent(32 * MIB, line);
        assertTrue(line.responseWritten(), line.toString());
    }

    @Test
    void aDispatchNestedInAnotherAndTheChainsRunInsideOneCountOnceAndToTheEnd() throws Exception {
        warmUp("nb/nested/2");
        assertEquals("allocated 4", get("nb/nested/16", "nested-16").body());
        // 8 MiB in a dispatch nested in the timer's, 4 after it returns, 4 in the writer run by the resumed chain
        assertWithinTenPercent(16 * MIB, lineOf("nested-16"));
    }

    @Test
    void blockingCodeHandedToVertxFromTheRequestsContextCountsOnItsWorkerThread() throws Exception {
        warmUp("nb/execute-blocking/2");
        assertEquals("blocking done", get("nb/execute-blocking/16", "blocking-16").body());
        CanonicalLine line = lineOf("blocking-16");
        assertWithinTenPercent(16 * MIB, line);
        assertEquals(2, line.allocThreads(), "the event loop and Vert.x's worker: " + line);
    }

    @Test
    void aCallbackAfterTheLineCountsNothingAndLeavesNothingOnTheEventLoop() throws Exception {
        Reactive.Probe.released = true;
        warmUp("nb/late/0");
        Reactive.Probe.released = false;
        assertEquals("answered", get("nb/late/8", "late-8").body());
        CanonicalLine line = lineOf("late-8");
        Reactive.Probe.released = true; // the line is written: now the request's context runs 8 MiB more
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Reactive.Probe.late.containsKey("late-8")) {
            assertTrue(System.nanoTime() < deadline, "the late timer never ran");
            Thread.sleep(5);
        }
        String[] seen = Reactive.Probe.late.get("late-8");
        assertTrue(line.allocatedBytes() >= 0 && line.allocatedBytes() < SLACK, line.toString());
        assertEquals("none", seen[0], "a callback after the line works for no request");
        assertEquals("late-8", seen[1], "but it is the request's callback: its context keeps the id");
        // The event loop, in a task of its own context once the late callback is done: nothing of the request.
        CompletableFuture<String[]> after = new CompletableFuture<>();
        vertx.runOnContext(v -> after.complete(new String[] {MDC.get("request_id"), AllocLine.requestId().orElse(null)}));
        String[] carried = after.get(10, TimeUnit.SECONDS);
        assertNull(carried[0], "no request id in the event loop's MDC");
        assertNull(carried[1], "no request on the event loop");
        assertEquals(1, LINES.all(l -> l.requestId().equals("late-8")).size(), "one line");
    }

    @Test
    void workHandedToAPlainExecutorWithoutTheContextIsNotCountedUnlessWrapped() throws Exception {
        warmUp("nb/pool/1?wrap=true");
        warmUp("nb/pool/1?wrap=false");
        assertEquals("pooled", get("nb/pool/8?wrap=false", "pool-unwrapped").body());
        CanonicalLine unwrapped = lineOf("pool-unwrapped");
        assertTrue(unwrapped.allocatedBytes() >= 0 && unwrapped.allocatedBytes() < SLACK,
                "an honest under-count: the pool's thread is not followed: " + unwrapped);
        assertEquals("pooled", get("nb/pool/8?wrap=true", "pool-wrapped").body());
        CanonicalLine wrapped = lineOf("pool-wrapped");
        assertTrue(wrapped.allocatedBytes() >= 8 * MIB && wrapped.allocatedBytes() <= 8 * MIB + SLACK,
                "AllocLine.wrap, the remedy: " + wrapped);
    }
}
