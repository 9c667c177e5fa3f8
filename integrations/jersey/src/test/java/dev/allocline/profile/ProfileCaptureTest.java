package dev.allocline.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.internal.profile.ProfileTrigger;
import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.line.CanonicalLine;
import dev.allocline.testing.CapturedLog;
import dev.allocline.testing.Eventually;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.LoopbackServer;
import dev.allocline.testing.ProfiledApi;
import dev.allocline.testing.S3Server;
import dev.allocline.testing.SilentServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.message.MapMessage;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;

/** Overrunning requests get a profile, off the request path, safely under storms and failures. */
class ProfileCaptureTest {

    static final long THRESHOLD = 32L << 20;

    private static ResourceConfig app(LineCollector lines, AllocLineFeature.Builder feature) {
        return new ResourceConfig(ProfiledApi.class).register(feature.defaultSink(false).sink(lines).build());
    }

    private static AllocLineFeature.Builder profiles(ProfileStore store, Path tmp) {
        return AllocLineFeature.builder().profileThresholdBytes(THRESHOLD).profileStore(store).environment("test")
                .profileTempDirectory(tmp);
    }

    /** Waits for the next profile_generated_line and returns its fields. */
    private static Map<String, String> awaitProfileLine(CapturedLog log, int index) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (log.events().size() <= index) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no profile_generated_line within 60 s");
            }
            Thread.sleep(20);
        }
        LogEvent e = log.events().get(index);
        String text = e.getMessage().getFormattedMessage();
        assertTrue(text.startsWith("profile_generated_line "), text);
        System.out.println("profile line: " + text);
        Map<String, String> fields = new java.util.LinkedHashMap<>();
        MapMessage<?, ?> m = (MapMessage<?, ?>) e.getMessage();
        m.getData().forEach((k, v) -> fields.put(k, String.valueOf(v)));
        return fields;
    }

    private static void assertEmptyDir(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                List<Path> left = s.toList();
                assertTrue(left.isEmpty(), "temporary files left: " + left);
            }
        }
    }

    @Test
    void overrunUploadsAJfrProfileToS3NamingTheAllocatingMethod(@TempDir Path tmp) throws Exception {
        LineCollector lines = new LineCollector();
        try (S3Server s3 = S3Server.start(); S3Client client = s3.client();
             CapturedLog log = CapturedLog.of(ProfileTrigger.PROFILE_LOGGER)) {
            s3.createBucket("profiles");
            ProfileStore store = S3ProfileStore.builder().client(client).bucket("profiles").build();
            try (LoopbackServer server = LoopbackServer.start(app(lines, profiles(store, tmp.resolve("work"))))) {
                assertEquals(200, server.get("/profiled/small").statusCode());
                assertEquals(Optional.empty(), lines.next().profileKey(), "a small request gets no profile");

                HttpResponse<String> r = server.get("/profiled/overrun/96");
                assertEquals(200, r.statusCode());
                assertEquals(Long.toString(96L << 20), r.body(), "the response is unchanged");
                CanonicalLine line = lines.next();
                assertTrue(line.allocatedBytes() >= 96L << 20);
                String key = line.profileKey().orElseThrow(() -> new AssertionError("no profile key: " + line));
                assertTrue(key.matches("test/profiles/" + line.requestId() + "-[0-9a-f]{16}\\.jfr"), key);

                Map<String, String> p = awaitProfileLine(log, 0);
                assertEquals(line.requestId(), p.get("request_id"));
                assertEquals("s3://profiles/" + key, p.get("location"));
                assertEquals("dev.allocline.testing.ProfiledApi.overrun", stripLine(p.get("site_1")),
                        "the top allocation site is the resource method");
                assertTrue(Double.parseDouble(p.get("site_1_share")) > 0.5, p.toString());
                // Without the sampling boost the throttled sampler left most of a short overrun's bytes to
                // samples after it (3-100% measured); with it ~1.0 (RequestRecordingTest pins 0.8-1.2). A fifth
                // here only proves the samples are this request's and weigh bytes, not counts.
                assertTrue(Long.parseLong(p.get("sampled_bytes")) >= line.allocatedBytes() / 5,
                        "the samples' weights account for the request's bytes: " + p);

                Path back = tmp.resolve("back.jfr");
                Files.write(back, client.getObjectAsBytes(b -> b.bucket("profiles").key(key)).asByteArray());
                long samples = 0;
                long sampledBytes = 0;
                try (RecordingFile f = new RecordingFile(back)) {
                    while (f.hasMoreEvents()) {
                        RecordedEvent e = f.readEvent();
                        if (e.getEventType().getName().equals("jdk.ObjectAllocationSample")
                                && e.getStackTrace() != null
                                && e.getStackTrace().getFrames().get(0).getMethod().getName().equals("overrun")) {
                            samples++;
                            sampledBytes += e.getLong("weight");
                        }
                    }
                }
                System.out.println("jfr: " + samples + " samples of overrun weighing " + sampledBytes + " bytes");
                assertTrue(samples > 0, "the stored recording has allocation samples of the request's method");
                assertEmptyDir(tmp.resolve("work"));
            }
        }
    }

    private static String stripLine(String frame) {
        int colon = frame.lastIndexOf(':');
        return colon < 0 ? frame : frame.substring(0, colon);
    }

    @Test
    void concurrentOverrunsGiveOneProfile(@TempDir Path tmp) throws Exception {
        LineCollector lines = new LineCollector();
        Path out = tmp.resolve("out");
        try (CapturedLog log = CapturedLog.of(ProfileTrigger.PROFILE_LOGGER);
             LoopbackServer server = LoopbackServer.start(app(lines, profiles(new LocalDirectoryProfileStore(out), tmp.resolve("work"))))) {
            ExecutorService pool = Executors.newFixedThreadPool(20);
            List<Future<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                fs.add(pool.submit(() -> server.get("/profiled/overrun/40").statusCode()));
            }
            for (Future<Integer> f : fs) {
                assertEquals(200, f.get());
            }
            pool.shutdown();
            List<CanonicalLine> got = lines.drain(Duration.ofSeconds(1));
            assertEquals(20, got.size());
            assertEquals(1, got.stream().filter(l -> l.profileKey().isPresent()).count(), "one profile for the storm");
            awaitProfileLine(log, 0);
            try (Stream<Path> files = Files.walk(out)) {
                // one full recording; beside it only what is derived from it (its request recording, flame graph)
                assertEquals(1, files.filter(Files::isRegularFile).map(Path::toString)
                        .filter(n -> n.endsWith(".jfr") && !n.endsWith(".request.jfr")).count());
            }
            assertEmptyDir(tmp.resolve("work"));
        }
    }

    @Test
    void cooldownSpacesProfiles(@TempDir Path tmp) throws Exception {
        LineCollector lines = new LineCollector();
        ProfileStore store = new LocalDirectoryProfileStore(tmp.resolve("out"));
        try (CapturedLog log = CapturedLog.of(ProfileTrigger.PROFILE_LOGGER);
             LoopbackServer server = LoopbackServer.start(app(lines,
                     profiles(store, tmp.resolve("work")).profileCooldown(Duration.ofHours(1))))) {
            server.get("/profiled/overrun/40");
            assertTrue(lines.next().profileKey().isPresent());
            awaitProfileLine(log, 0);
            server.get("/profiled/overrun/40");
            assertFalse(lines.next().profileKey().isPresent(), "inside the cooldown: no second profile");
        }
        try (CapturedLog log = CapturedLog.of(ProfileTrigger.PROFILE_LOGGER);
             LoopbackServer server = LoopbackServer.start(app(lines,
                     profiles(store, tmp.resolve("work")).profileCooldown(Duration.ZERO)))) {
            server.get("/profiled/overrun/40");
            assertTrue(lines.next().profileKey().isPresent());
            awaitProfileLine(log, 0);
            server.get("/profiled/overrun/40");
            assertTrue(lines.next().profileKey().isPresent(), "no cooldown: a second profile once the first is done");
        }
    }

    @Test
    void slowStoreDoesNotSlowTheRequest(@TempDir Path tmp) throws Exception {
        LineCollector lines = new LineCollector();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch storing = new CountDownLatch(1);
        ProfileStore slow = (key, file) -> {
            storing.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "slow://" + key;
        };
        try (LoopbackServer server = LoopbackServer.start(app(lines, profiles(slow, tmp.resolve("work"))))) {
            HttpResponse<String> r = server.get("/profiled/overrun/40");
            assertEquals(200, r.statusCode());
            assertTrue(lines.next().profileKey().isPresent());
            assertTrue(storing.await(30, TimeUnit.SECONDS), "the store is called");
            // The request completed while the store is still blocked; more requests go through too.
            for (int i = 0; i < 5; i++) {
                assertEquals(200, server.get("/profiled/overrun/40").statusCode());
                assertFalse(lines.next().profileKey().isPresent(), "one capture at a time");
            }
        } finally {
            release.countDown();
        }
    }

    @Test
    void unreachableStoreIsLoggedOnceAndLeavesNothingBehind(@TempDir Path tmp) throws Exception {
        LineCollector lines = new LineCollector();
        S3Server s3 = S3Server.start();
        s3.createBucket("profiles");
        S3Client client = s3.client(S3Server.SECRET_KEY, Duration.ofSeconds(5));
        s3.close(); // the server is gone
        ProfileStore store = S3ProfileStore.builder().client(client).bucket("profiles").build();
        try (CapturedLog warnings = CapturedLog.of("dev.allocline");
             LoopbackServer server = LoopbackServer.start(app(lines,
                     profiles(store, tmp.resolve("work")).profileCooldown(Duration.ZERO)))) {
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = server.get("/profiled/overrun/40");
                assertEquals(200, r.statusCode());
                assertEquals(Long.toString(40L << 20), r.body());
                lines.next();
                waitForProfileWorker(warnings, i + 1);
            }
            List<String> storeFailures = warnings.events().stream()
                    .map(e -> e.getMessage().getFormattedMessage())
                    .filter(m -> m.startsWith("allocline: could not store profile")).toList();
            assertEquals(1, storeFailures.size(), () -> "logged once: " + storeFailures);
            assertTrue(storeFailures.get(0).contains("test/profiles/") && storeFailures.get(0).contains("s3://profiles"),
                    storeFailures.get(0));
            assertEmptyDir(tmp.resolve("work"));
        } finally {
            client.close();
        }
    }

    /** Waits until {@code n} profile lines were logged (each capture logs one, stored or not). */
    private static void waitForProfileWorker(CapturedLog log, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (log.events().stream().filter(e -> e.getMessage().getFormattedMessage()
                .startsWith("profile_generated_line")).count() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("capture " + n + " did not finish");
            }
            Thread.sleep(20);
        }
    }

    @Test
    void wrongCredentialsAreLoggedWithTheReason(@TempDir Path tmp) throws Exception {
        LineCollector lines = new LineCollector();
        try (S3Server s3 = S3Server.start(); S3Client wrong = s3.client("wrong-secret", Duration.ofSeconds(10));
             CapturedLog warnings = CapturedLog.of("dev.allocline")) {
            s3.createBucket("profiles");
            ProfileStore store = S3ProfileStore.builder().client(wrong).bucket("profiles").build();
            try (LoopbackServer server = LoopbackServer.start(app(lines, profiles(store, tmp.resolve("work"))))) {
                assertEquals(200, server.get("/profiled/overrun/40").statusCode());
                lines.next();
                waitForProfileWorker(warnings, 1);
                String failure = warnings.events().stream().map(e -> e.getMessage().getFormattedMessage())
                        .filter(m -> m.startsWith("allocline: could not store profile")).findFirst().orElseThrow();
                // S3's own reason, also when the server closed the connection while the body was still sent
                assertTrue(failure.contains("SignatureDoesNotMatch (HTTP 403)"), failure);
                assertEmptyDir(tmp.resolve("work"));
            }
        }
    }

    @Test
    void heapDumpIsAnHprofFile(@TempDir Path tmp) throws Exception {
        LineCollector lines = new LineCollector();
        Path out = tmp.resolve("out");
        try (CapturedLog log = CapturedLog.of(ProfileTrigger.PROFILE_LOGGER);
             LoopbackServer server = LoopbackServer.start(app(lines, profiles(new LocalDirectoryProfileStore(out),
                     tmp.resolve("work")).profileKind(ProfileKind.HEAP_DUMP)))) {
            assertEquals(200, server.get("/profiled/overrun/40").statusCode());
            CanonicalLine line = lines.next();
            assertTrue(line.profileKey().orElseThrow().matches("test/profiles/" + line.requestId() + "-[0-9a-f]{16}\\.hprof"),
                    line::toString);
            awaitProfileLine(log, 0);
            Path hprof = out.resolve(line.profileKey().get());
            byte[] head = new byte[12];
            try (InputStream in = Files.newInputStream(hprof)) {
                assertEquals(12, in.readNBytes(head, 0, 12));
            }
            assertEquals("JAVA PROFILE", new String(head, StandardCharsets.US_ASCII));
            assertEmptyDir(tmp.resolve("work"));
        }
    }

    @Test
    void shutdownWaitsABoundedTimeForAPendingUpload(@TempDir Path tmp) throws Exception {
        LineCollector lines = new LineCollector();
        CountDownLatch storing = new CountDownLatch(1);
        ProfileStore hung = (key, file) -> {
            storing.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted at shutdown");
            }
            return "never";
        };
        LoopbackServer server = LoopbackServer.start(app(lines, profiles(hung, tmp.resolve("work"))
                .shutdownTimeout(Duration.ofMillis(500))));
        assertEquals(200, server.get("/profiled/overrun/40").statusCode());
        assertTrue(storing.await(30, TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        server.close();
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(took < 20_000, "shutdown did not wait for the hung upload: " + took + " ms");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.exists(tmp.resolve("work")) && Files.list(tmp.resolve("work")).findAny().isPresent()
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEmptyDir(tmp.resolve("work"));
    }

    /**
     * The S3 store with an async client that has no timeout of its own, against a server that never answers:
     * closing the application must stop the upload after {@code shutdownTimeout}, and the profile still gets its
     * one line (not stored) with nothing left on disk. A wait on the upload that ignores the interrupt would hold
     * the profile thread, the line and the temporary file for ever.
     */
    @Test
    void shutdownStopsAnAsyncS3UploadThatIsNeverAnswered(@TempDir Path tmp) throws Exception {
        LineCollector lines = new LineCollector();
        try (SilentServer silent = new SilentServer();
             S3AsyncClient async = S3Server.asyncClient(java.net.URI.create("http://127.0.0.1:" + silent.port()), 64L << 20);
             CapturedLog log = CapturedLog.of(ProfileTrigger.PROFILE_LOGGER)) {
            ProfileStore store = S3ProfileStore.builder().asyncClient(async).bucket("profiles").build();
            LoopbackServer server = LoopbackServer.start(app(lines, profiles(store, tmp.resolve("work"))
                    .shutdownTimeout(Duration.ofMillis(500))));
            assertEquals(200, server.get("/profiled/overrun/40").statusCode());
            String key = lines.next().profileKey().orElseThrow();
            Eventually.within(60_000, "the upload reached the server", () -> silent.received() > 0);
            server.close();
            Map<String, String> p = awaitProfileLine(log, 0);
            assertEquals(key, p.get("profile_key"));
            assertEquals("false", p.get("stored"), p::toString);
            assertEquals("store_failed", p.get("reason"), p::toString);
            assertTrue(p.get("detail").contains("InterruptedIOException"), p::toString);
            assertEmptyDir(tmp.resolve("work"));
            Eventually.that("the request's connection closed by the client", () -> silent.closedByClient() > 0);
        }
    }

    @Test
    void badProfileSettingsFailInBuild() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AllocLineFeature.builder().profileThresholdBytes(-1).build());
        assertTrue(e.getMessage().contains("profileThresholdBytes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> AllocLineFeature.builder().profileThresholdBytes(1).build());
        assertTrue(e.getMessage().contains("profileStore"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AllocLineFeature.builder().environment("../x").build());
        assertTrue(e.getMessage().contains("environment"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AllocLineFeature.builder().jfrThrottle("lots").build());
        assertTrue(e.getMessage().contains("jfrThrottle"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> AllocLineFeature.builder().profileCooldown(Duration.ofSeconds(-1)).build());
        assertTrue(e.getMessage().contains("profileCooldown"), e.getMessage());
    }
}
