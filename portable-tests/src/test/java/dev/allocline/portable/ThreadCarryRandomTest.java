package dev.allocline.portable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.AllocLine;
import dev.allocline.jaxrs.AllocLineFilter;
import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.line.CanonicalLine;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.logging.log4j.ThreadContext;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpServerFactory;
import org.glassfish.jersey.server.ManagedAsync;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A seeded random sequence of request kinds, on a Grizzly container with exactly one worker thread, with
 * unrelated allocation run on that worker between them and asynchronous requests completed later in random
 * order, for each entry point allocline ships on Jersey (the Feature, and the portable filter pair). After every
 * step the worker carries nothing (no id in its logging context, no current request); at the end every request
 * has exactly one line, with the status its client got, and its {@code alloc_bytes} is never more than its own
 * known bytes plus the runtime's slack (an over-count is another request's or the pool's work); where the entry
 * point promises to count a part (a synchronous body, a wrapped task) it is at least that part. The seed is
 * printed on failure; rerun one with {@code -Dallocline.seed=N}.
 */
class ThreadCarryRandomTest {

    static final long SLACK = 256L << 10;
    static final long UNRELATED = 8L << 20;
    static final int STEPS = Integer.getInteger("allocline.steps", 300);

    static final ConcurrentLinkedQueue<CanonicalLine> LINES = new ConcurrentLinkedQueue<>();
    static final Map<String, CompletableFuture<String>> STAGES = new ConcurrentHashMap<>();
    static final Map<String, AsyncResponse> SUSPENDED = new ConcurrentHashMap<>();
    static final ExecutorService TASKS = AllocLine.wrap(Executors.newFixedThreadPool(2));
    static final AtomicLong IDS = new AtomicLong();
    static volatile Object sink;

    static void allocate(long bytes) {
        for (long left = bytes; left > 0; left -= 64 << 10) {
            sink = new byte[(int) Math.min(left, 64 << 10) - 16];
        }
    }

    @Path("/k")
    @Produces(MediaType.TEXT_PLAIN)
    public static final class Api {
        @GET
        @Path("sync/{id}/{n}")
        public String sync(@PathParam("id") String id, @PathParam("n") long n) {
            allocate(n);
            return "ok";
        }

        @GET
        @Path("fail/{id}/{n}")
        public String fail(@PathParam("id") String id, @PathParam("n") long n) {
            allocate(n);
            throw new IllegalStateException("unmapped, on purpose");
        }

        @GET
        @Path("wrapped/{id}/{n}")
        public String wrapped(@PathParam("id") String id, @PathParam("n") long n) throws Exception {
            TASKS.submit(() -> allocate(n)).get(30, TimeUnit.SECONDS);
            return "ok";
        }

        @GET
        @Path("managed/{id}/{n}")
        @ManagedAsync
        public String managed(@PathParam("id") String id, @PathParam("n") long n) {
            allocate(n);
            return "ok";
        }

        @GET
        @Path("stage/{id}/{n}")
        public java.util.concurrent.CompletionStage<String> stage(@PathParam("id") String id, @PathParam("n") long n) {
            allocate(n);
            CompletableFuture<String> f = new CompletableFuture<>();
            STAGES.put(id, f);
            return f;
        }

        @GET
        @Path("object/{id}/{n}")
        public Object object(@PathParam("id") String id, @PathParam("n") long n) {
            return stage(id, n);
        }

        @GET
        @Path("future/{id}/{n}")
        public Future<String> future(@PathParam("id") String id, @PathParam("n") long n) {
            return stage(id, n).toCompletableFuture();
        }

        @GET
        @Path("suspend/{id}/{n}")
        public void suspend(@PathParam("id") String id, @PathParam("n") long n, @Suspended AsyncResponse r) {
            allocate(n);
            SUSPENDED.put(id, r);
        }
    }

    /** What a kind is, what its client gets, and what its line must say of the method's own bytes. */
    enum Kind {
        SYNC("sync", false, 200, true, true),
        FAIL("fail", false, 500, true, true),
        WRAPPED("wrapped", false, 200, true, true),
        MANAGED("managed", false, 200, true, false),
        STAGE("stage", true, 200, true, false),
        OBJECT("object", true, 200, true, false),
        FUTURE("future", true, 200, true, false),
        SUSPEND("suspend", true, 200, true, false),
        NEVER("suspend", true, 503, true, false);

        final String path;
        final boolean pending;
        final int status;
        final boolean featureCounts;
        final boolean filterCounts;

        Kind(String path, boolean pending, int status, boolean featureCounts, boolean filterCounts) {
            this.path = path;
            this.pending = pending;
            this.status = status;
            this.featureCounts = featureCounts;
            this.filterCounts = filterCounts;
        }
    }

    record Sent(String id, Kind kind, long bytes, CompletableFuture<HttpResponse<String>> response) {
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"feature", "filter"})
    void noLineIsEverChargedAnotherRequestsOrThePoolsWorkAndNothingStaysOnTheWorker(String entry) throws Exception {
        long seed = Long.getLong("allocline.seed", System.nanoTime());
        try {
            run(entry, seed);
        } catch (Throwable e) {
            throw new AssertionError(entry + ": failed with seed " + seed + " (-Dallocline.seed=" + seed + "): " + e, e);
        }
    }

    private void run(String entry, long seed) throws Exception {
        LINES.clear();
        Random random = new Random(seed);
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "the-only-worker"));
        ResourceConfig rc = new ResourceConfig(Api.class);
        AutoCloseable closeable = null;
        if (entry.equals("feature")) {
            rc.register(AllocLineFeature.builder().defaultSink(false).requestIdHeader("X-Request-Id").sink(LINES::add)
                    .build());
        } else {
            AllocLineFilter filter = AllocLineFilter.builder().defaultSink(false).requestIdHeader("X-Request-Id")
                    .sink(LINES::add).build();
            rc.register(filter);
            closeable = filter;
        }
        HttpServer server = GrizzlyHttpServerFactory.createHttpServer(URI.create("http://127.0.0.1:0/api"), rc, false);
        NetworkListener listener = server.getListeners().iterator().next();
        listener.getTransport().setWorkerThreadPool(worker);
        server.start();
        String base = "http://127.0.0.1:" + listener.getPort() + "/api";
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try {
            for (Kind k : Kind.values()) { // class loading and first-call caches: not in any measured request
                if (!k.pending) {
                    send(http, base, k, 1000).response.get(30, TimeUnit.SECONDS);
                }
            }
            LINES.clear();
            List<Sent> sent = new ArrayList<>();
            List<Sent> pending = new ArrayList<>();
            for (int step = 0; step < STEPS; step++) {
                int action = random.nextInt(10);
                if (action < 2) {
                    allocateOn(worker, UNRELATED);
                } else if (action < 4 && !pending.isEmpty()) {
                    complete(pending.remove(random.nextInt(pending.size())), random);
                } else {
                    Kind k = Kind.values()[random.nextInt(Kind.values().length)];
                    long bytes = (1 + random.nextInt(16)) * (64L << 10);
                    Sent s = send(http, base, k, bytes);
                    sent.add(s);
                    if (k.pending) {
                        awaitMethod(k == Kind.SUSPEND || k == Kind.NEVER ? SUSPENDED : STAGES, s.id);
                        pending.add(s);
                    } else {
                        assertEquals(k.status, s.response.get(30, TimeUnit.SECONDS).statusCode(), s::toString);
                    }
                }
                assertWorkerClean(worker, "after step " + step);
            }
            for (Sent s : pending) {
                complete(s, random);
            }
            for (Sent s : sent) {
                assertEquals(s.kind.status, s.response.get(30, TimeUnit.SECONDS).statusCode(), s::toString);
                CanonicalLine l = awaitLine(s.id);
                assertEquals(s.kind.status, l.status(), () -> s + ": " + l);
                boolean counts = entry.equals("feature") ? s.kind.featureCounts : s.kind.filterCounts;
                long max = s.bytes + SLACK;
                assertTrue(l.allocatedBytes() <= max, () -> s + " was charged more than its own work: " + l);
                assertTrue(l.allocatedBytes() >= (counts ? s.bytes : 0), () -> s + " lost its own work: " + l);
            }
            assertWorkerClean(worker, "at the end");
        } finally {
            if (closeable != null) {
                closeable.close();
            }
            server.shutdownNow();
            worker.shutdownNow();
        }
    }

    static Sent send(HttpClient http, String base, Kind k, long bytes) {
        String id = k.name().toLowerCase() + "-" + IDS.incrementAndGet();
        CompletableFuture<HttpResponse<String>> r = http.sendAsync(HttpRequest.newBuilder(
                URI.create(base + "/k/" + k.path + "/" + id + "/" + bytes)).header("X-Request-Id", id)
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        return new Sent(id, k, bytes, r);
    }

    /** Completes a pending request from the test's thread (a value, a resume, or a cancel for one never resumed). */
    static void complete(Sent s, Random random) throws Exception {
        switch (s.kind) {
            case SUSPEND -> SUSPENDED.remove(s.id).resume("done");
            case NEVER -> SUSPENDED.remove(s.id).cancel();
            default -> STAGES.remove(s.id).complete("done");
        }
        s.response.get(30, TimeUnit.SECONDS);
    }

    static void awaitMethod(Map<String, ?> map, String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!map.containsKey(id)) {
            assertTrue(System.nanoTime() - deadline < 0, "request " + id + " never reached its method");
            Thread.sleep(1);
        }
    }

    static void allocateOn(ExecutorService worker, long bytes) throws Exception {
        worker.submit(() -> allocate(bytes)).get(30, TimeUnit.SECONDS);
    }

    static void assertWorkerClean(ExecutorService worker, String when) throws Exception {
        String[] carried = worker.submit(() -> new String[] {ThreadContext.get("request_id"),
                AllocLine.requestId().orElse(null)}).get(30, TimeUnit.SECONDS);
        assertEquals(null, carried[0], "the worker's logging context " + when);
        assertEquals(null, carried[1], "the worker's current request " + when);
    }

    static CanonicalLine awaitLine(String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            List<CanonicalLine> found = LINES.stream().filter(l -> l.requestId().equals(id)).collect(Collectors.toList());
            if (!found.isEmpty()) {
                assertEquals(1, found.size(), () -> "one line per request: " + found);
                return found.get(0);
            }
            assertTrue(System.nanoTime() - deadline < 0, "no line for " + id);
            Thread.sleep(2);
        }
    }
}
