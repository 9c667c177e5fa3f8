package dev.allocline.jersey;

import dev.allocline.AllocLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.line.CanonicalLine;
import dev.allocline.internal.meter.ThreadAllocationCounter;
import dev.allocline.testing.CapturedLog;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.LoopbackServer;
import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Test;

/** Nothing that fails inside the Feature reaches the response; failures are logged, rate-limited. */
class ContainmentTest {

    @Test
    void throwingSinkChangesNothingAndIsLoggedOnce() {
        LineCollector after = new LineCollector();
        ResourceConfig rc = new ResourceConfig(TestApi.class).register(AllocLineFeature.builder().defaultSink(false)
                .sink(line -> {
                    throw new IllegalStateException("sink is down");
                })
                .sink(after)
                .build());
        try (CapturedLog log = CapturedLog.of("dev.allocline"); LoopbackServer server = LoopbackServer.start(rc)) {
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> r = server.get("/hello");
                assertEquals(200, r.statusCode());
                assertEquals("hello", r.body());
            }
            List<CanonicalLine> lines = after.drain(Duration.ofMillis(500));
            assertEquals(10, lines.size(), "the sinks after the failing one still get every line");
            // Only the sink's: an application of another test class still running in this JVM may warn meanwhile
            // (its sampling boost reaching its duty-cycle cap while this JVM's threads allocate fast).
            List<LogEvent> warnings = log.events().stream().filter(e -> e.getLevel() == Level.WARN
                    && e.getMessage().getFormattedMessage().contains("allocline: sink ")).toList();
            assertEquals(1, warnings.size(), () -> "rate-limited to one warning: " + warnings);
            String msg = warnings.get(0).getMessage().getFormattedMessage();
            assertTrue(msg.contains("sink") && msg.contains("failed") && msg.contains("sink is down"), msg);
        }
    }

    @Test
    void disabledCountersGiveUnavailableNotZero() {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        LineCollector lines = new LineCollector();
        try (LoopbackServer server = LoopbackServer.start(Apps.withFeature(lines, TestApi.class))) {
            bean.setThreadAllocatedMemoryEnabled(false);
            HttpResponse<String> r = server.get("/alloc/100000");
            assertEquals(200, r.statusCode());
            assertEquals("ok", r.body());
            CanonicalLine line = lines.next();
            assertEquals(-1, line.allocatedBytes());
            assertEquals(Optional.of(ThreadAllocationCounter.DISABLED), line.allocUnavailableReason());
        } finally {
            bean.setThreadAllocatedMemoryEnabled(true);
        }
    }

    @Test
    void countersDisabledMidRequestGiveUnavailable() {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        LineCollector lines = new LineCollector();
        ResourceConfig rc = Apps.withFeature(lines, TestApi.class, new DisablingFilter(bean));
        try (LoopbackServer server = LoopbackServer.start(rc)) {
            assertEquals(200, server.get("/hello").statusCode());
            CanonicalLine line = lines.next();
            assertEquals(-1, line.allocatedBytes(), line::toString);
        } finally {
            bean.setThreadAllocatedMemoryEnabled(true);
        }
    }

    /** A response filter that switches the counters off between the baseline and the end. */
    @jakarta.ws.rs.ext.Provider
    public static final class DisablingFilter implements jakarta.ws.rs.container.ContainerResponseFilter {
        private final com.sun.management.ThreadMXBean bean;

        DisablingFilter(com.sun.management.ThreadMXBean bean) {
            this.bean = bean;
        }

        @Override
        public void filter(jakarta.ws.rs.container.ContainerRequestContext req,
                           jakarta.ws.rs.container.ContainerResponseContext res) {
            bean.setThreadAllocatedMemoryEnabled(false);
        }
    }

    @Test
    void baselineIsStoredInTheRequestContext() {
        LineCollector lines = new LineCollector();
        Object[] seen = new Object[1];
        jakarta.ws.rs.container.ContainerRequestFilter probe = ctx -> seen[0] = ctx.getProperty(AllocLine.REQUEST_PROPERTY);
        try (LoopbackServer server = LoopbackServer.start(Apps.withFeature(lines, TestApi.class, probe))) {
            assertEquals(200, server.get("/hello").statusCode());
            lines.next();
            assertTrue(seen[0] != null, "the request property holds the accounting");
        }
    }

    @Test
    void badSettingsFailInBuildNamingTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AllocLineFeature.builder().processAllocationSampleInterval(Duration.ZERO).build());
        assertTrue(e.getMessage().contains("processAllocationSampleInterval"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AllocLineFeature.builder().sink(null).build());
        assertTrue(e.getMessage().contains("sink"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> AllocLineFeature.builder().failureLogPeriod(Duration.ofSeconds(-1)).build());
        assertTrue(e.getMessage().contains("failureLogPeriod"), e.getMessage());
    }
}
