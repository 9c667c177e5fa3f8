package dev.allocline.jersey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.AllocLine;
import dev.allocline.line.CanonicalLine;
import dev.allocline.testing.LineCollector;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.MediaType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.ThreadContext;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpServerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Feature on a container with exactly one worker thread (Grizzly, its worker pool replaced by an
 * executor of ours), so a pending request's thread is known to serve the next requests and to run unrelated
 * work: whatever a resource method is declared to return ({@code CompletionStage}, {@code Object},
 * {@code Future}, {@code void} with {@code @Suspended}), once it has returned the worker carries nothing of
 * its request, and the request's line has none of the worker's later work. The twin of the portable suite's
 * {@code OneWorkerTest}.
 */
class OneWorkerFeatureTest {

    static final long SLACK = 256L << 10;
    static final LineCollector LINES = new LineCollector();
    static final Map<String, CompletableFuture<String>> STAGES = new ConcurrentHashMap<>();
    static final Map<String, AsyncResponse> SUSPENDED = new ConcurrentHashMap<>();
    static final AtomicLong IDS = new AtomicLong();
    static volatile Object sink;

    static ExecutorService worker;
    static HttpServer server;
    static String base;
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Path("/w")
    @Produces(MediaType.TEXT_PLAIN)
    public static final class Api {
        @GET
        @Path("stage/{id}")
        public CompletionStage<String> stage(@PathParam("id") String id) {
            CompletableFuture<String> f = new CompletableFuture<>();
            STAGES.put(id, f);
            return f;
        }

        /** Declared {@code Object}: Jersey finds the stage only when the method has returned. */
        @GET
        @Path("object-stage/{id}")
        public Object objectStage(@PathParam("id") String id) {
            return stage(id);
        }

        /** Declared {@code Future}: the same, with a type that is not a stage. */
        @GET
        @Path("future-stage/{id}")
        public Future<String> futureStage(@PathParam("id") String id) {
            return stage(id).toCompletableFuture();
        }

        @GET
        @Path("suspend/{id}")
        public void suspend(@PathParam("id") String id, @Suspended AsyncResponse r) {
            SUSPENDED.put(id, r);
        }

        @GET
        @Path("plain")
        public String plain() {
            sink = new byte[1000];
            return "plain " + AllocLine.requestId().orElse("none");
        }
    }

    @BeforeAll
    static void start() throws Exception {
        worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "the-only-worker"));
        server = GrizzlyHttpServerFactory.createHttpServer(URI.create("http://127.0.0.1:0/api"),
                Apps.withFeature(LINES, Api.class), false);
        NetworkListener listener = server.getListeners().iterator().next();
        listener.getTransport().setWorkerThreadPool(worker);
        server.start();
        base = "http://127.0.0.1:" + listener.getPort() + "/api";
        for (int i = 0; i < 50; i++) { // class loading and first-call caches
            get("/w/plain");
        }
    }

    @AfterAll
    static void stop() {
        server.shutdownNow();
        worker.shutdownNow();
    }

    static CompletableFuture<HttpResponse<String>> send(String path, String id) {
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base + path)).header("X-Request-Id", id)
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String get(String path) throws Exception {
        String id = "fw-" + IDS.incrementAndGet();
        assertEquals(200, send(path, id).get(60, TimeUnit.SECONDS).statusCode());
        return id;
    }

    static void await(Map<String, ?> map, String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!map.containsKey(id)) {
            assertTrue(System.nanoTime() - deadline < 0, "request " + id + " never reached its method");
            Thread.sleep(2);
        }
    }

    /** Unrelated work on the worker, between requests. */
    static void allocateOnTheWorker(long bytes) throws Exception {
        worker.submit(() -> {
            for (long left = bytes; left > 0; left -= 1 << 20) {
                sink = new byte[1 << 20];
            }
        }).get(30, TimeUnit.SECONDS);
    }

    /** What the worker carries between requests: its logging context and the library's current request. */
    static void assertWorkerClean(String when) throws Exception {
        String[] carried = worker.submit(() -> new String[] {ThreadContext.get("request_id"),
                AllocLine.requestId().orElse(null)}).get(30, TimeUnit.SECONDS);
        assertArrayEquals(new String[] {null, null}, carried, "the worker carries a request " + when);
    }

    @Test
    void aStageDeclaredAsCompletionStageIsNotChargedItsWorkersLaterWork() throws Exception {
        aPendingStageIsNotChargedItsWorkersLaterWork("/w/stage/");
    }

    @Test
    void aStageDeclaredAsObjectIsNotChargedItsWorkersLaterWork() throws Exception {
        aPendingStageIsNotChargedItsWorkersLaterWork("/w/object-stage/");
    }

    @Test
    void aStageDeclaredAsFutureIsNotChargedItsWorkersLaterWork() throws Exception {
        aPendingStageIsNotChargedItsWorkersLaterWork("/w/future-stage/");
    }

    private void aPendingStageIsNotChargedItsWorkersLaterWork(String path) throws Exception {
        String a = "stage-" + IDS.incrementAndGet();
        CompletableFuture<HttpResponse<String>> response = send(path + a, a);
        await(STAGES, a);
        allocateOnTheWorker(10L << 20);
        assertWorkerClean("while a stage request is pending");
        String b = get("/w/plain");
        allocateOnTheWorker(10L << 20);
        String c = get("/w/plain");
        assertWorkerClean("while a stage request is pending, after two more requests");
        STAGES.remove(a).complete("done"); // from the test's thread
        assertEquals(200, response.get(30, TimeUnit.SECONDS).statusCode());
        CanonicalLine line = LINES.awaitRequest(a);
        assertTrue(line.allocatedBytes() >= 0 && line.allocatedBytes() <= SLACK,
                () -> "the worker's later work was charged to the pending request: " + line);
        for (String plain : new String[] {b, c}) {
            CanonicalLine p = LINES.awaitRequest(plain);
            assertTrue(p.allocatedBytes() >= 1000 && p.allocatedBytes() <= 1000 + SLACK, p::toString);
        }
        assertWorkerClean("after the stage request's line");
    }

    @Test
    void aSuspendedRequestIsNotChargedItsWorkersLaterWork() throws Exception {
        String a = "suspended-" + IDS.incrementAndGet();
        CompletableFuture<HttpResponse<String>> response = send("/w/suspend/" + a, a);
        await(SUSPENDED, a);
        allocateOnTheWorker(10L << 20);
        get("/w/plain");
        assertWorkerClean("while a suspended request is pending");
        SUSPENDED.remove(a).resume("done");
        assertEquals(200, response.get(30, TimeUnit.SECONDS).statusCode());
        CanonicalLine line = LINES.awaitRequest(a);
        assertTrue(line.allocatedBytes() >= 0 && line.allocatedBytes() <= SLACK, line::toString);
        assertWorkerClean("after the suspended request's line");
    }
}
