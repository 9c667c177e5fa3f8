package dev.allocline.jersey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.allocline.line.CanonicalLine;
import dev.allocline.internal.meter.ThreadAllocationCounter;
import dev.allocline.testing.InProcess;
import dev.allocline.testing.LineCollector;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * The JVM does not count a virtual thread's allocations (getCurrentThreadAllocatedBytes is -1 there).
 * The line must then say "unavailable" and why, never show a wrong number. Runs on JDK 21+.
 */
class VirtualThreadTest {

    private static ExecutorService virtualThreads() throws ReflectiveOperationException {
        return (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
    }

    @Test
    void requestOnAVirtualThreadSaysAllocationIsUnavailable() throws Exception {
        assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21+");
        LineCollector lines = new LineCollector();
        InProcess app = new InProcess(Apps.withFeature(lines, TestApi.class));
        ExecutorService vt = virtualThreads();
        try {
            int status = vt.submit(() -> app.send("GET", "/alloc/1000000")).get();
            assertEquals(200, status);
        } finally {
            vt.shutdown();
        }
        CanonicalLine line = lines.next();
        System.out.println("virtual thread line: " + dev.allocline.line.CanonicalLineFormat.logfmt(line));
        assertEquals(-1, line.allocatedBytes());
        assertEquals(Optional.of(ThreadAllocationCounter.VIRTUAL_THREAD), line.allocUnavailableReason());
    }

    @Test
    void requestOnAPlatformThreadInProcessIsMeasured() {
        LineCollector lines = new LineCollector();
        InProcess app = new InProcess(Apps.withFeature(lines, TestApi.class));
        assertEquals(200, app.send("GET", "/alloc/1000000"));
        CanonicalLine line = lines.next();
        assertTrue(line.allocatedBytes() >= 1_000_000, line::toString);
        assertEquals(Optional.empty(), line.allocUnavailableReason());
    }
}
