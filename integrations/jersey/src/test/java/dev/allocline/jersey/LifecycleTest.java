package dev.allocline.jersey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.allocline.line.CanonicalLine;
import dev.allocline.profile.LocalDirectoryProfileStore;
import dev.allocline.testing.Eventually;
import dev.allocline.testing.InProcess;
import dev.allocline.testing.LineCollector;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Test;

/** Background parts (the process-wide sampler, the JFR recording) start, are shared and stop with the application. */
class LifecycleTest {

    static final String SAMPLER_THREAD = "allocline-total-alloc-sampler";

    static long samplerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(SAMPLER_THREAD)).count();
    }

    static long allocLineRecordings() {
        List<Recording> all = FlightRecorder.isAvailable() ? FlightRecorder.getFlightRecorder().getRecordings() : List.of();
        return all.stream().filter(r -> r.getName().equals("allocline")).count();
    }

    @Test
    void tenApplicationsNeverDestroyedShareOneSamplerThread() {
        assumeTrue(dev.allocline.internal.meter.ProcessAllocationSampler.isAvailable());
        for (int i = 0; i < 10; i++) {
            LineCollector lines = new LineCollector();
            InProcess app = new InProcess(Apps.withFeature(lines, TestApi.class));
            assertEquals(200, app.send("GET", "/hello"));
            lines.next();
            // never destroyed, as Jersey's in-memory test container does
        }
        Eventually.that("at most one sampler thread", () -> samplerThreads() <= 1);
    }

    @Path("/dup")
    public static final class Ambiguous {
        @GET
        public String a() {
            return "a";
        }

        @GET
        public String b() {
            return "b";
        }
    }

    @Test
    void failedInitialisationStartsNothing() throws Exception {
        long recordingsBefore = allocLineRecordings();
        long samplersBefore = samplerThreads();
        // The sampler is shared: with another application's sampler running, a leaked lease starts no
        // thread, so count leases too.
        int leasesBefore = dev.allocline.internal.meter.ProcessAllocationSampler.leases();
        java.nio.file.Path dir = Files.createTempDirectory("allocline-lifecycle");
        ResourceConfig rc = new ResourceConfig(Ambiguous.class).register(AllocLineFeature.builder().defaultSink(false)
                .profileThresholdBytes(1L << 30).profileStore(new LocalDirectoryProfileStore(dir)).build());
        assertThrows(RuntimeException.class, () -> new InProcess(rc));
        assertEquals(recordingsBefore, allocLineRecordings(), "a JFR recording leaked from a failed initialisation");
        assertTrue(samplerThreads() <= samplersBefore, "a sampler thread leaked from a failed initialisation");
        assertEquals(leasesBefore, dev.allocline.internal.meter.ProcessAllocationSampler.leases(),
                "a sampler lease leaked from a failed initialisation");
    }

    @Path("/blocked")
    public static final class Blocked {
        static final CountDownLatch ENTERED = new CountDownLatch(1);
        static final CountDownLatch RELEASE = new CountDownLatch(1);

        @GET
        public String get() throws InterruptedException {
            ENTERED.countDown();
            RELEASE.await(30, TimeUnit.SECONDS);
            return "done";
        }
    }

    @Test
    void aRequestFinishingAfterDestroyKeepsItsProcessDelta() throws Exception {
        assumeTrue(dev.allocline.internal.meter.ProcessAllocationSampler.isAvailable());
        LineCollector lines = new LineCollector();
        InProcess app = new InProcess(Apps.withFeature(lines, Blocked.class));
        CompletableFuture<Integer> status = CompletableFuture.supplyAsync(() -> app.send("GET", "/blocked"));
        assertTrue(Blocked.ENTERED.await(10, TimeUnit.SECONDS));
        app.handler().onShutdown(null);
        Blocked.RELEASE.countDown();
        assertEquals(200, status.get(10, TimeUnit.SECONDS));
        CanonicalLine line = lines.next();
        assertTrue(line.totalAllocDelta() >= 0, () -> "total_alloc_delta lost at shutdown: " + line);
    }

    @Test
    void stopEndsTheBackgroundWorkOfAnApplicationJerseyNeverDestroys() throws Exception {
        long recordingsBefore = allocLineRecordings();
        int leasesBefore = dev.allocline.internal.meter.ProcessAllocationSampler.leases();
        java.nio.file.Path dir = Files.createTempDirectory("allocline-lifecycle");
        AllocLineFeature feature = AllocLineFeature.builder().defaultSink(false).profileThresholdBytes(1L << 30)
                .profileStore(new LocalDirectoryProfileStore(dir)).build();
        InProcess app = new InProcess(new ResourceConfig(TestApi.class).register(feature));
        assertEquals(200, app.send("GET", "/hello"));
        assertEquals(recordingsBefore + 1, allocLineRecordings(), "profiles on: the application's recording runs");

        feature.stop(); // as a container's own lifecycle does (Dropwizard's Managed); the in-memory one never destroys
        assertEquals(recordingsBefore, allocLineRecordings(), "the recording still runs after stop()");
        assertEquals(leasesBefore, dev.allocline.internal.meter.ProcessAllocationSampler.leases(),
                "the sampler lease is still held after stop()");
        assertEquals(200, app.send("GET", "/hello"), "requests are still answered after stop()");
        feature.stop(); // idempotent
    }
}
