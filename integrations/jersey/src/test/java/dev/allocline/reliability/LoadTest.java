package dev.allocline.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.line.CanonicalLine;
import dev.allocline.profile.LocalDirectoryProfileStore;
import dev.allocline.testing.LoopbackServer;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded load run over real HTTP on 127.0.0.1: 100 concurrent clients for a fixed time (5 s in
 * the build, {@code -Dallocline.load.seconds=30} for the published run), each alternating between a
 * server with the Feature and one without, with a mix of small, large, async, failing, unmatched and
 * overrunning requests. It stops by itself.
 *
 * <p>It proves: one line per request sent (matched by the client's id in the path), no response
 * changed, every {@code alloc_bytes} within its endpoint's bounds, at most one profile per cooldown,
 * and the heap back at its baseline after a full GC.
 */
class LoadTest {

    static final int CLIENTS = 100;
    static final long SLACK = 128 * 1024;
    static final Duration COOLDOWN = Duration.ofSeconds(2);

    /** What a client sends, and what the line must say. */
    enum Kind {
        SMALL("small", 200, 0, SLACK), LARGE("large", 200, LoadApi.LARGE, SLACK),
        ASYNC("async", 200, LoadApi.ASYNC, SLACK), FAIL("fail", 409, 0, SLACK),
        // Jersey logs an unmapped exception with its stack trace (java.util.logging) on the request
        // thread: ~175 KB measured, real work of that request.
        CRASH("crash", 500, 0, 512 * 1024),
        MISSING("missing", 404, 0, SLACK), OVERRUN("overrun", 200, LoadApi.OVERRUN, SLACK);

        final String path;
        final int status;
        final long bytes;
        final long slack;

        Kind(String path, int status, long bytes, long slack) {
            this.path = path;
            this.status = status;
            this.bytes = bytes;
            this.slack = slack;
        }

        static Kind pick(ThreadLocalRandom r) {
            int n = r.nextInt(1000);
            return n < 700 ? SMALL : n < 800 ? LARGE : n < 880 ? ASYNC : n < 930 ? FAIL : n < 960 ? CRASH
                    : n < 995 ? MISSING : OVERRUN;
        }
    }

    /** Checks each line as it arrives and keeps only counters (so the heap check sees no test state). */
    static final class Checker implements dev.allocline.line.CanonicalLineSink {
        // Replaced, not cleared, before the heap is measured: a cleared ConcurrentHashMap keeps its table.
        volatile Map<String, Integer> linesByPath = new ConcurrentHashMap<>();
        volatile Set<String> requestIds = ConcurrentHashMap.newKeySet();
        final List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicLong lines = new AtomicLong();
        final AtomicLong profileKeys = new AtomicLong();
        final java.util.concurrent.atomic.LongAdder readNanos = new java.util.concurrent.atomic.LongAdder();
        final java.util.concurrent.atomic.LongAccumulator maxReadNanos =
                new java.util.concurrent.atomic.LongAccumulator(Math::max, 0);
        final java.util.concurrent.atomic.LongAdder durationNanos = new java.util.concurrent.atomic.LongAdder();

        @Override
        public void accept(CanonicalLine line) {
            lines.incrementAndGet();
            readNanos.add(line.allocReads());
            maxReadNanos.accumulate(line.allocReads());
            durationNanos.add(line.duration().toNanos());
            linesByPath.merge(line.httpPath(), 1, Integer::sum);
            if (!requestIds.add(line.requestId())) {
                violations.add("duplicate request id " + line.requestId());
            }
            line.profileKey().ifPresent(k -> profileKeys.incrementAndGet());
            String[] parts = line.httpPath().split("/");
            if (parts.length < 4) {
                violations.add("unexpected path " + line.httpPath());
                return;
            }
            Kind kind = Arrays.stream(Kind.values()).filter(k -> k.path.equals(parts[2])).findFirst().orElse(null);
            if (kind == null) {
                violations.add("unexpected path " + line.httpPath());
                return;
            }
            if (line.status() != kind.status) {
                violations.add("status " + line.status() + " for " + line.httpPath());
            }
            long a = line.allocatedBytes();
            boolean warmUp = parts[3].startsWith("w"); // first calls load classes: bounds apply once warm
            if (!warmUp && (a < kind.bytes || a > kind.bytes + kind.slack)) {
                violations.add("alloc_bytes " + a + " outside [" + kind.bytes + ", " + (kind.bytes + kind.slack)
                        + "] for " + line.httpPath());
            }
        }
    }

    @Test
    void holdsUnderLoad(@TempDir Path tmp) throws Exception {
        int seconds = Integer.getInteger("allocline.load.seconds", 5);
        Checker checker = new Checker();
        Path profiles = tmp.resolve("profiles");
        ResourceConfig with = new ResourceConfig(LoadApi.class, LoadApi.ConflictMapper.class)
                .register(AllocLineFeature.builder().defaultSink(false).sink(checker)
                        .profileThresholdBytes(32L << 20).profileCooldown(COOLDOWN).environment("load")
                        .profileStore(new LocalDirectoryProfileStore(profiles)).profileTempDirectory(tmp.resolve("work"))
                        .build());
        ResourceConfig without = new ResourceConfig(LoadApi.class, LoadApi.ConflictMapper.class);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        try (LoopbackServer a = LoopbackServer.start(with); LoopbackServer b = LoopbackServer.start(without)) {
            for (int i = 0; i < 300; i++) { // warm both: class loading is not a leak
                for (LoopbackServer s : List.of(a, b)) {
                    for (Kind k : Kind.values()) {
                        if (k != Kind.OVERRUN) {
                            http.send(HttpRequest.newBuilder(s.uri("/load/" + k.path + "/w" + i)).GET().build(),
                                    HttpResponse.BodyHandlers.discarding());
                        }
                    }
                }
            }
            // Warm the connection pools too: 100 concurrent clients open ~100 connections per server, and
            // each connection's buffers (client and Grizzly) are retained as long as it is alive. Without this,
            // the first concurrent second grows the heap by several MiB that are not the library's.
            CountDownLatch warm = new CountDownLatch(CLIENTS);
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                Thread t = new Thread(() -> {
                    try {
                        for (int i = 0; i < 10; i++) {
                            for (LoopbackServer s : List.of(a, b)) {
                                http.send(HttpRequest.newBuilder(s.uri("/load/small/warm" + client + "-" + i)).GET().build(),
                                        HttpResponse.BodyHandlers.discarding());
                            }
                        }
                    } catch (Exception e) {
                        // counted by the measured run, not here
                    } finally {
                        warm.countDown();
                    }
                }, "load-warm-" + c);
                t.start();
            }
            assertTrue(warm.await(120, TimeUnit.SECONDS), "warm-up clients stop by themselves");
            dev.allocline.testing.Eventually.within(30_000, "warm-up lines",
                    () -> checker.lines.get() >= 300L * (Kind.values().length - 1) + CLIENTS * 10L);
            long heapBefore = usedHeapAfterGc();
            long linesBefore = checker.lines.get();
            checker.readNanos.reset();
            checker.maxReadNanos.reset();
            checker.durationNanos.reset();

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            Bookkeeping book = new Bookkeeping();
            AtomicLong changed = new AtomicLong();
            AtomicLong transportErrors = new AtomicLong();
            CountDownLatch done = new CountDownLatch(CLIENTS);
            long runStart = System.nanoTime();
            for (int c = 0; c < CLIENTS; c++) {
                int client = c;
                Thread t = new Thread(() -> {
                    try {
                        ThreadLocalRandom r = ThreadLocalRandom.current();
                        long n = 0;
                        while (System.nanoTime() < deadline) {
                            Kind k = Kind.pick(r);
                            String id = "c" + client + "n" + (n++);
                            for (boolean feature : new boolean[] {true, false}) {
                                LoopbackServer s = feature ? a : b;
                                String path = "/load/" + k.path + "/" + id;
                                if (feature) {
                                    book.sent.put(path, k);
                                }
                                long t0 = System.nanoTime();
                                try {
                                    HttpResponse<String> resp = http.send(HttpRequest.newBuilder(s.uri(path))
                                            .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString());
                                    (feature ? book.latWith : book.latWithout).add(System.nanoTime() - t0);
                                    boolean bodyOk = k.status == 500 || k.status == 404 || resp.body().equals(id);
                                    if (resp.statusCode() != k.status || !bodyOk) {
                                        changed.incrementAndGet();
                                    }
                                } catch (java.io.IOException e) {
                                    transportErrors.incrementAndGet();
                                }
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        done.countDown();
                    }
                }, "load-client-" + c);
                t.start();
            }
            assertTrue(done.await(seconds + 120L, TimeUnit.SECONDS), "the clients stop by themselves");
            double runSeconds = (System.nanoTime() - runStart) / 1e9;
            // Lines follow the responses: wait for as many as were sent (missing ones are counted below).
            long deadlineLines = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (checker.lines.get() - linesBefore < book.sent.size() && System.nanoTime() < deadlineLines) {
                Thread.onSpinWait();
                Thread.yield();
            }
            long profilesOnDisk = waitForProfiles(profiles, checker.profileKeys.get());

            int missing = 0;
            int extra = 0;
            for (String path : book.sent.keySet()) {
                int n = checker.linesByPath.getOrDefault(path, 0);
                if (n == 0) {
                    missing++;
                } else if (n > 1) {
                    extra++;
                }
            }
            long requestsWith = book.sent.size();
            long maxProfiles = (long) Math.floor(runSeconds / COOLDOWN.toSeconds()) + 1;

            // Drop the test's own bookkeeping, then measure what the library keeps.
            long linesCount = checker.lines.get() - linesBefore;
            List<String> violations = new ArrayList<>(checker.violations);
            long profileKeyCount = checker.profileKeys.get();
            long[] with50 = percentiles(book.latWith);
            long[] without50 = percentiles(book.latWithout);
            long changedCount = changed.get();
            long errorCount = transportErrors.get();
            book.sent = null;
            book.latWith = null;
            book.latWithout = null;
            checker.linesByPath = new ConcurrentHashMap<>();
            checker.requestIds = ConcurrentHashMap.newKeySet();
            long heapAfter = usedHeapAfterGc();

            double meanReads = (double) checker.readNanos.sum() / Math.max(1, linesCount);
            long maxReads = checker.maxReadNanos.get();
            double meanDurationMicros = checker.durationNanos.sum() / 1e3 / Math.max(1, linesCount);
            String summary = summary(seconds, runSeconds, requestsWith, linesCount, missing, extra, changedCount, errorCount,
                    violations.size(), with50, without50, profileKeyCount, profilesOnDisk, maxProfiles, heapBefore, heapAfter)
                    + String.format(Locale.ROOT, "| counter reads per request (`alloc_reads`), mean / max | %.2f / %d |%n"
                    + "| mean `duration` (Jersey's processing, as on the lines) | %.0f µs |%n",
                    meanReads, maxReads, meanDurationMicros);
            System.out.println(summary);
            Path out = Path.of(System.getProperty("allocline.load.report", "target/load-summary.md"));
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, summary);

            assertEquals(0, missing, "requests without a line");
            assertEquals(0, extra, "requests with more than one line");
            assertTrue(violations.isEmpty(), () -> violations.size() + " violations, e.g. " + violations.subList(0, Math.min(5, violations.size())));
            assertEquals(0, changedCount, "responses changed");
            assertEquals(0, errorCount, "transport errors");
            assertTrue(profileKeyCount <= maxProfiles, "at most one profile per cooldown: " + profileKeyCount);
            assertEquals(profileKeyCount, profilesOnDisk, "every profile key was stored");
            // Per request, after the connection pools were warmed: a retained byte per request would show here.
            long growthPerRequest = (heapAfter - heapBefore) / Math.max(1, requestsWith);
            System.out.println("load: heap " + heapBefore + " -> " + heapAfter + " over " + requestsWith
                    + " requests with the Feature: " + growthPerRequest + " B per request");
            // A full GC's result varies by a few hundred KB from one measurement to the next (measured up to
            // ~350 KB in the whole suite with ~2,400 requests, 37 KB alone with ~13,500): allow 1 MiB once,
            // and less than 64 B for each request beyond it. The previous bound, 32 MiB, hid ~7 KB a request.
            long allowed = (1L << 20) + 64L * requestsWith;
            assertTrue(heapAfter - heapBefore < allowed, "heap growth: " + (heapAfter - heapBefore) + " B over "
                    + requestsWith + " requests (" + growthPerRequest + " B each), allowed " + allowed);
        }
    }

    /** The measured run's own records, dropped before the heap is measured. */
    private static final class Bookkeeping {
        volatile ConcurrentHashMap<String, Kind> sent = new ConcurrentHashMap<>();
        volatile List<Long> latWith = java.util.Collections.synchronizedList(new ArrayList<>());
        volatile List<Long> latWithout = java.util.Collections.synchronizedList(new ArrayList<>());
    }

    private static long waitForProfiles(Path dir, long expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            long n = 0;
            if (Files.exists(dir)) {
                try (Stream<Path> s = Files.walk(dir)) {
                    // the full recordings only: on JDK 19+ a profile also stores its request's own .request.jfr
                    n = s.filter(Files::isRegularFile).map(Path::toString)
                            .filter(p -> p.endsWith(".jfr") && !p.endsWith(".request.jfr")).count();
                }
            }
            if (n >= expected || System.nanoTime() > deadline) {
                return n;
            }
            Thread.sleep(100);
        }
    }

    static long usedHeapAfterGc() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc(); // a full, stop-the-world collection with the default G1 settings
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    private static long[] percentiles(List<Long> nanos) {
        long[] a;
        synchronized (nanos) {
            a = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        }
        if (a.length == 0) {
            return new long[] {0, 0, 0};
        }
        return new long[] {a[a.length / 2], a[(int) Math.min(a.length - 1, Math.floor(a.length * 0.99))], a.length};
    }

    private static String summary(int seconds, double runSeconds, long requests, long lines, int missing, int extra,
                                  long changed, long errors, int violations, long[] with, long[] without, long profileKeys,
                                  long profilesOnDisk, long maxProfiles, long heapBefore, long heapAfter) {
        int cores = Runtime.getRuntime().availableProcessors();
        return String.format(Locale.ROOT, """
                # allocline load run

                Generated by `LoadTest` (filter module) on %d cores, JDK %s, %d concurrent clients over HTTP/1.1 on
                127.0.0.1 for %d s (ran %.1f s). Each client alternates every request between a Grizzly server
                with the Feature and one without, so both latency columns come from the same run, the same
                mix and the same machine load. Mix: 70%% small, 10%% 4 MiB, 8%% async (1 MiB on a wrapped
                executor), 5%% mapped 409, 3%% unmapped 500, 3.5%% unmatched 404, 0.5%% 40 MiB overruns
                (profile threshold 32 MiB, cooldown %d s). 100 clients on %d cores is oversubscribed:
                latencies include queueing for a core.

                | figure | value |
                |---|---|
                | requests to the server with the Feature | %,d (%.0f/s) |
                | canonical lines | %,d |
                | requests without a line / with more than one | %d / %d |
                | responses changed (status or body) | %d |
                | transport errors | %d |
                | lines outside their endpoint's bounds (status; alloc_bytes within [N, N + 128 KiB], 512 KiB for unmapped 500s) | %d |
                | latency p50 / p99 with the Feature | %.2f ms / %.2f ms (%,d requests) |
                | latency p50 / p99 without | %.2f ms / %.2f ms (%,d requests) |
                | profiles (keys on lines / files stored / allowed by the cooldown) | %d / %d / %d |
                | heap used after full GC, before / after the run | %.1f MiB / %.1f MiB |
                """, cores, System.getProperty("java.version"), CLIENTS, seconds, runSeconds, COOLDOWN.toSeconds(), cores,
                requests, requests / runSeconds, lines, missing, extra, changed, errors, violations,
                with[0] / 1e6, with[1] / 1e6, with[2], without[0] / 1e6, without[1] / 1e6, without[2],
                profileKeys, profilesOnDisk, maxProfiles, heapBefore / 1048576.0, heapAfter / 1048576.0);
    }
}
