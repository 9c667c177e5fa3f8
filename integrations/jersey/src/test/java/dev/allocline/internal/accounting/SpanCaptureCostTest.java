package dev.allocline.internal.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.allocline.internal.AllocLineSettings;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * With OpenTelemetry's API on the class path (it is, in this execution) and span attributes on, a request
 * without a current span pays no allocation for looking: the method-start capture allocates nothing.
 */
class SpanCaptureCostTest {

    static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void capturingTheTraceWithoutACurrentSpanAllocatesNothing() {
        AllocLineRuntime runtime = new AllocLineRuntime(new AllocLineSettings(List.of(), false, Duration.ofMillis(1),
                Duration.ofMinutes(1), 0, null, Duration.ofMinutes(5), "default", dev.allocline.profile.ProfileKind.JFR,
                Path.of("target/never"), 1L << 30, "300/s", Duration.ofMinutes(5), 1L << 20, true,
                Duration.ofSeconds(1), List.of(), null, null, null, true));
        assertEquals(true, TraceContext.available(), "this test needs opentelemetry-api on the class path");
        int n = 20_000;
        Request[] requests = new Request[n];
        for (int i = 0; i < n; i++) {
            requests[i] = new Request(runtime, "r" + i, Request.Sight.EVERY_STRETCH);
        }
        for (int i = 0; i < n / 2; i++) {
            requests[i].captureTrace(); // warm-up: first thread-local and context-storage lookups
        }
        long before = THREADS.getCurrentThreadAllocatedBytes();
        for (int i = n / 2; i < n; i++) {
            requests[i].captureTrace();
        }
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        assertEquals(0, allocated, "bytes allocated by " + (n / 2) + " captures without a span");
    }
}
