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
        public String get() throws InterruptedException {
            Allocate.bytes(32L << 20);
            // Longer than several sampling intervals, so the end sample includes the allocation.
            Thread.sleep(200);
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
                .register(AllocLineFeature.builder().log4j(false).processAllocationDelta(false).sink(lines).build());
        assertEquals(200, new InProcess(rc).send("GET", "/hello"));
        assertEquals(-1, lines.next().totalAllocDelta());
    }

    @Test
    void samplerReadsAMonotonicFigureWhereTheJvmHasIt() throws Exception {
        assumeTrue(ProcessAllocationSampler.isAvailable());
        try (ProcessAllocationSampler sampler = ProcessAllocationSampler.start(java.time.Duration.ofMillis(5))) {
            long first = sampler.sampledTotalAllocatedBytes();
            Allocate.bytes(8L << 20);
            sampler.sample();
            assertTrue(sampler.sampledTotalAllocatedBytes() - first >= 8L << 20);
        }
    }

    @Test
    void samplerRefusesANonPositiveInterval() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ProcessAllocationSampler.start(java.time.Duration.ZERO));
        assertTrue(e.getMessage().contains("interval"));
    }
}
