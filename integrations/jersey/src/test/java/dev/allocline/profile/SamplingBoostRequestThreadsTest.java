package dev.allocline.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.testing.Allocate;
import dev.allocline.testing.Eventually;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.LoopbackServer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sampling boost in a running application: only a thread working for a request raises JFR's allocation
 * sampling rate (a batch job allocating as fast does not), and its poll allocates nothing while request
 * threads work.
 */
class SamplingBoostRequestThreadsTest {

    static final long THRESHOLD = 32L << 20; // boosts at 8 MiB within a second

    static volatile CountDownLatch release = new CountDownLatch(0);
    static volatile CountDownLatch blocked = new CountDownLatch(0);

    @Path("/boost")
    @Produces(MediaType.TEXT_PLAIN)
    public static final class Api {
        /** Allocates until the rate is raised (or 10 s have passed) and says whether it was. */
        @GET
        @Path("fast")
        public String fast() {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!boosted() && System.nanoTime() < deadline) {
                Allocate.sink = new byte[1 << 20];
            }
            return Boolean.toString(boosted());
        }

        /** Works for its request, allocating nothing, until the test releases it. */
        @GET
        @Path("blocked")
        public String blocked() throws InterruptedException {
            blocked.countDown();
            return Boolean.toString(release.await(30, TimeUnit.SECONDS));
        }
    }

    private static LoopbackServer app(java.nio.file.Path tmp) {
        return LoopbackServer.start(new ResourceConfig(Api.class).register(AllocLineFeature.builder().defaultSink(false)
                .sink(new LineCollector()).profileThresholdBytes(THRESHOLD).profileStore((k, f) -> "never://" + k)
                .profileTempDirectory(tmp).build()));
    }

    /** Whether allocline's boost recording is switched up (read through JFR's own API). */
    static boolean boosted() {
        List<Recording> boosts = FlightRecorder.getFlightRecorder().getRecordings().stream()
                .filter(r -> "allocline-boost".equals(r.getName()) && r.getState() == RecordingState.RUNNING).toList();
        return boosts.stream().anyMatch(r -> !"300/s".equals(r.getSettings().get("jdk.ObjectAllocationSample#throttle")));
    }

    private static Thread boostThread() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("allocline-sampling-boost"))
                .findFirst().orElse(null);
    }

    @Test
    void aThreadWorkingForNoRequestDoesNotRaiseTheRate(@TempDir java.nio.file.Path tmp) {
        try (LoopbackServer server = app(tmp)) {
            assertEquals(200, server.get("/boost/blocked").statusCode()); // started
            Eventually.that("the rate back to the continuous one after the start", () -> !boosted());
            // A batch job on a thread of its own: 64 MiB in 1 MiB arrays, far over 8 MiB within a second.
            boolean raised = false;
            for (int i = 0; i < 64 && !raised; i++) {
                Allocate.sink = new byte[1 << 20];
                long pollAfter = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(12);
                while (System.nanoTime() < pollAfter && !raised) { // at least one poll sees each step
                    raised = boosted();
                }
            }
            assertTrue(!raised, "a thread working for no request raised the sampling rate");
        }
    }

    @Test
    void aRequestThreadAllocatingFastRaisesTheRate(@TempDir java.nio.file.Path tmp) {
        try (LoopbackServer server = app(tmp)) {
            assertEquals(200, server.get("/boost/blocked").statusCode());
            Eventually.that("the rate back to the continuous one after the start", () -> !boosted());
            assertEquals("true", server.get("/boost/fast").body(), "the request's own thread did not raise the rate");
        }
    }

    @Test
    void thePollAllocatesNothingWhileRequestThreadsWork(@TempDir java.nio.file.Path tmp) throws Exception {
        int n = 4;
        release = new CountDownLatch(1);
        blocked = new CountDownLatch(n);
        try (LoopbackServer server = app(tmp)) {
            List<CompletableFuture<Integer>> requests = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                requests.add(CompletableFuture.supplyAsync(() -> server.get("/boost/blocked").statusCode()));
            }
            try {
                assertTrue(blocked.await(30, TimeUnit.SECONDS), "requests did not start");
                Eventually.that("the rate back to the continuous one after the start", () -> !boosted());
                Thread poll = boostThread();
                assertNotNull(poll, "the boost's thread runs");
                com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                long before = mx.getThreadAllocatedBytes(poll.getId());
                long cpuBefore = mx.getThreadCpuTime(poll.getId());
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2); // ~200 polls, two windows
                while (System.nanoTime() < end) {
                    Thread.onSpinWait();
                }
                long allocated = mx.getThreadAllocatedBytes(poll.getId()) - before;
                long cpu = mx.getThreadCpuTime(poll.getId()) - cpuBefore;
                System.out.println("boost poll: " + allocated + " bytes and " + TimeUnit.NANOSECONDS.toMicros(cpu)
                        + " us of CPU in 2 s with " + n + " request threads working");
                assertEquals(0, allocated, "bytes the boost's thread allocated in 2 s of polls");
            } finally {
                release.countDown();
            }
            for (CompletableFuture<Integer> r : requests) {
                assertEquals(200, r.get(30, TimeUnit.SECONDS));
            }
        }
    }
}
