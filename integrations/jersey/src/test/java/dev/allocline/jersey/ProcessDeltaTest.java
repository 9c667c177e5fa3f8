package dev.allocline.jersey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.allocline.line.CanonicalLine;
import dev.allocline.internal.meter.ProcessAllocationSampler;
import dev.allocline.testing.Allocate;
import dev.allocline.testing.InProcess;
import dev.allocline.testing.LineCollector;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Test;

/** The seed's process-wide view, kept for comparison, from a background sampler. */
class ProcessDeltaTest {

    @Path("/alloc-then-wait")
    public static final class AllocThenWait {
        @GET
        public String get() {
            Allocate.bytes(32L << 20);
            // Wait (on the condition, not a guessed time) until the shared sampler has published a sample
            // taken after the allocation, so the request's end reading includes it.
            long target = ProcessAllocationSampler.readTotalAllocatedBytes().getAsLong();
            ProcessAllocationSampler.Lease lease = ProcessAllocationSampler.acquire(java.time.Duration.ofMillis(1));
            try {
                dev.allocline.testing.Eventually.that("a sample after the allocation",
                        () -> lease.sampledTotalAllocatedBytes() >= target);
            } finally {
                lease.close();
            }
            return "ok";
        }
    }

    @Test
    void processDeltaIncludesTheRequestsAllocations() {
        assumeTrue(ProcessAllocationSampler.isAvailable(), "needs getTotalThreadAllocatedBytes (17.0.11+, 21+)");
        LineCollector lines = new LineCollector();
        InProcess app = new InProcess(Apps.withFeature(lines, AllocThenWait.class));
        assertEquals(200, app.send("GET", "/alloc-then-wait"));
        CanonicalLine line = lines.next();
        assertTrue(line.totalAllocDelta() >= 32L << 20, line::toString);
        app.handler().onShutdown(null);
    }

    @Test
    void processDeltaIsMinusOneWhenDisabled() {
        LineCollector lines = new LineCollector();
        ResourceConfig rc = new ResourceConfig(TestApi.class)
                .register(AllocLineFeature.builder().defaultSink(false).processAllocationDelta(false).sink(lines).build());
        assertEquals(200, new InProcess(rc).send("GET", "/hello"));
        assertEquals(-1, lines.next().totalAllocDelta());
    }

    @Test
    void samplerReadsAMonotonicFigureWhereTheJvmHasIt() {
        assumeTrue(ProcessAllocationSampler.isAvailable());
        ProcessAllocationSampler.Lease lease = ProcessAllocationSampler.acquire(java.time.Duration.ofMillis(1));
        try {
            long first = lease.sampledTotalAllocatedBytes();
            Allocate.bytes(8L << 20);
            dev.allocline.testing.Eventually.that("the sampler sees 8 MiB more",
                    () -> lease.sampledTotalAllocatedBytes() - first >= 8L << 20);
        } finally {
            lease.close();
        }
    }

    @Test
    void aClosedLeaseStillAnswersWithADirectRead() {
        assumeTrue(ProcessAllocationSampler.isAvailable());
        ProcessAllocationSampler.Lease lease = ProcessAllocationSampler.acquire(java.time.Duration.ofMillis(1));
        lease.close();
        long first = lease.sampledTotalAllocatedBytes();
        Allocate.bytes(8L << 20);
        assertTrue(first >= 0 && lease.sampledTotalAllocatedBytes() - first >= 8L << 20);
    }

    @Test
    void samplerRefusesANonPositiveInterval() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ProcessAllocationSampler.acquire(java.time.Duration.ZERO));
        assertTrue(e.getMessage().contains("interval"));
    }
}
