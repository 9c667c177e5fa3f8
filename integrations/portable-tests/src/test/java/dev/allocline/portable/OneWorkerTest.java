package dev.allocline.portable;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.AllocLine;
import dev.allocline.jaxrs.AllocLineFilter;
import dev.allocline.line.CanonicalLine;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.Application;
import jakarta.ws.rs.core.MediaType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.ThreadContext;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpServerFactory;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A container with exactly one worker thread (Grizzly, its worker pool replaced by an executor of
 * ours; the application is a plain {@code Application} with the filter in {@code getSingletons()}), so
 * a suspended request's thread is known to serve the next requests, and the test can run unrelated
 * work on it and look at what it carries between requests. Runs in the Jersey execution only (the
 * harness is Grizzly's; the hygiene suite covers RESTEasy by collection). {@link OneWorkerFeatureTest} runs the same
 * tests with Jersey's {@code AllocLineFeature} instead of the filter: whatever the method is declared to
 * return ({@code CompletionStage}, {@code Object}, {@code Future}), once it has returned the worker carries
 * nothing of its request.
 */
class OneWorkerTest {


    static final long SLACK = 256L << 10;
    static final ConcurrentLinkedQueue<CanonicalLine> LINES = new ConcurrentLinkedQueue<>();
    static final Map<String, AsyncResponse> SUSPENDED = new ConcurrentHashMap<>();
    static final Map<String, CompletableFuture<String>> STAGES = new ConcurrentHashMap<>();
    static final AtomicLong IDS = new AtomicLong();
    static volatile Object sink;

    static ExecutorService worker;
    static HttpServer server;
    static AllocLineFilter filter;
    static String base;
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Path("/w")
    @Produces(MediaType.TEXT_PLAIN)
    public static final class Api {
        @GET
        @Path("suspend/{id}")
        public void suspend(@PathParam("id") String id, @Suspended AsyncResponse r) {
            SUSPENDED.put(id, r);
        }

        @GET
        @Path("stage/{id}")
        public CompletionStage<String> stage(@PathParam("id") String id) {
            CompletableFuture<String> f = new CompletableFuture<>();
            STAGES.put(id, f);
            return f;
        }

        /** Declared {@code Object}: the runtime finds the stage only when the method has returned. */
        @GET
        @Path("object-stage/{id}")
        public Object objectStage(@PathParam("id") String id) {
            return stage(id);
        }

        /** Declared {@code Future}: the same, with a type that is not a stage. */
        @GET
        @Path("future-stage/{id}")
        public java.util.concurrent.Future<String> futureStage(@PathParam("id") String id) {
            return stage(id).toCompletableFuture();
        }

        @GET
        @Path("plain")
        public String plain() {
            sink = new byte[1000];
            return "plain " + AllocLine.requestId().orElse("none");
        }
    }

    @BeforeAll
    static void startWithTheFilter() throws Exception {
        AllocLineFilter f = AllocLineFilter.builder().defaultSink(false).requestIdHeader("X-Request-Id")
                .sink(LINES::add).build();
        Application app = new Application() {
            @Override
            public Set<Object> getSingletons() {
                return Set.of(f, new Api());
            }
        };
        start(ResourceConfig.forApplication(app), f);
    }

    static void start(ResourceConfig application, AllocLineFilter entry) throws Exception {
        filter = entry;
        worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "the-only-worker"));
        server = GrizzlyHttpServerFactory.createHttpServer(URI.create("http://127.0.0.1:0/api"), application, false);
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
        if (filter != null) {
            filter.close();
            filter = null;
        }
        if (server != null) {
            server.shutdownNow();
            worker.shutdownNow();
            server = null;
        }
    }

    static CompletableFuture<HttpResponse<String>> send(String path, String id) {
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base + path)).header("X-Request-Id", id)
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String get(String path) throws Exception {
        String id = "w-" + IDS.incrementAndGet();
        assertEquals(200, send(path, id).get(60, TimeUnit.SECONDS).statusCode());
        return id;
    }

    static CanonicalLine lineOf(String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() - deadline < 0) {
            for (CanonicalLine l : LINES) {
                if (l.requestId().equals(id)) {
                    return l;
                }
            }
            Thread.sleep(2);
        }
        throw new AssertionError("no line for " + id);
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
    static String[] workerCarries() throws Exception {
        return worker.submit(() -> new String[] {ThreadContext.get("request_id"), AllocLine.requestId().orElse(null)})
                .get(30, TimeUnit.SECONDS);
    }

    static void assertWorkerClean(String when) throws Exception {
        assertArrayEquals(new String[] {null, null}, workerCarries(), "the worker carries a request " + when);
    }

    @Test
    void aSuspendedRequestIsNotChargedItsWorkersLaterWork() throws Exception {
        String a = "suspended-" + IDS.incrementAndGet();
        CompletableFuture<HttpResponse<String>> response = send("/w/suspend/" + a, a);
        await(SUSPENDED, a);
        assertWorkerClean("after a suspended request's method returned");
        allocateOnTheWorker(10L << 20);
        CanonicalLine b = lineOf(get("/w/plain"));
        assertTrue(b.allocatedBytes() >= 0 && b.allocatedBytes() <= 1000 + SLACK, b::toString);
        allocateOnTheWorker(10L << 20);
        assertWorkerClean("after the next request's line");
        SUSPENDED.remove(a).resume("done"); // resumed from the test's thread
        assertEquals(200, response.get(30, TimeUnit.SECONDS).statusCode());
        CanonicalLine line = lineOf(a);
        assertTrue(line.allocatedBytes() >= 0 && line.allocatedBytes() <= SLACK,
                "20 MiB of the worker's later work were charged to the suspended request: " + line);
        assertWorkerClean("after the suspended request's line");
    }

    @Test
    void aCompletionStageRequestIsNotChargedItsWorkersLaterWork() throws Exception {
        aPendingStageIsNotChargedItsWorkersLaterWork("/w/stage/");
    }

    @Test
    void aStageReturnedAsObjectIsNotChargedItsWorkersLaterWork() throws Exception {
        aPendingStageIsNotChargedItsWorkersLaterWork("/w/object-stage/");
    }

    @Test
    void aStageReturnedAsFutureIsNotChargedItsWorkersLaterWork() throws Exception {
        aPendingStageIsNotChargedItsWorkersLaterWork("/w/future-stage/");
    }

    private void aPendingStageIsNotChargedItsWorkersLaterWork(String path) throws Exception {
        String a = "stage-" + IDS.incrementAndGet();
        CompletableFuture<HttpResponse<String>> response = send(path + a, a);
        await(STAGES, a);
        allocateOnTheWorker(10L << 20);
        get("/w/plain");
        allocateOnTheWorker(10L << 20);
        assertWorkerClean("while a CompletionStage request is pending");
        STAGES.remove(a).complete("done");
        assertEquals(200, response.get(30, TimeUnit.SECONDS).statusCode());
        CanonicalLine line = lineOf(a);
        assertTrue(line.allocatedBytes() >= 0 && line.allocatedBytes() <= SLACK, line::toString);
        assertWorkerClean("after the stage request's line");
    }

    @Test
    void aRequestNeverResumedLeavesItsThreadCleanAfterTheNextRequest() throws Exception {
        String c = "never-" + IDS.incrementAndGet();
        CompletableFuture<HttpResponse<String>> response = send("/w/suspend/" + c, c);
        await(SUSPENDED, c);
        String d = get("/w/plain");
        assertEquals(1000, Math.min(1000, lineOf(d).allocatedBytes()), "the next request has its own line");
        assertWorkerClean("after the request that followed one never resumed");
        SUSPENDED.remove(c).cancel(); // let the client go
        response.get(30, TimeUnit.SECONDS);
    }
}
