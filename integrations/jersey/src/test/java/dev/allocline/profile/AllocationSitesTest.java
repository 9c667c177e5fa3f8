package dev.allocline.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.internal.profile.AllocationSites;
import dev.allocline.internal.profile.RequestWindow;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request's sites come from the samples of its threads while they worked for it: the same thread's
 * work for something else inside the request's window (a container thread serving other requests while
 * this one is suspended) is not the request's. Proved on a real JFR recording, read back.
 */
class AllocationSitesTest {

    static volatile Object sink;

    static long epochNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    static void allocateForTheRequest(long bytes) {
        for (long left = bytes; left > 0; left -= 64 << 10) {
            sink = new byte[64 << 10];
        }
    }

    static void allocateForSomethingElse(long bytes) {
        for (long left = bytes; left > 0; left -= 64 << 10) {
            sink = new byte[64 << 10];
        }
    }

    @Test
    void samplesOfTheRequestsThreadOutsideItsSpansAreNotItsSites(@TempDir Path dir) throws Exception {
        Path jfr = dir.resolve("sites.jfr");
        long thread = Thread.currentThread().getId();
        long a0;
        long a1;
        long b0;
        long b1;
        try (Recording r = new Recording()) {
            r.enable("jdk.ObjectAllocationSample").with("throttle", "1000/ms").withStackTrace();
            r.start();
            a0 = epochNanos();
            allocateForTheRequest(64L << 20);
            a1 = epochNanos();
            allocateForSomethingElse(64L << 20); // same thread, inside the window, between the spans
            b0 = epochNanos();
            allocateForTheRequest(64L << 20);
            b1 = epochNanos();
            r.stop();
            r.dump(jfr);
        }
        RequestWindow window = new RequestWindow("req", a0 / 1_000_000L, b1 / 1_000_000L,
                new long[] {thread, a0, a1, thread, b0, b1});
        AllocationSites.Result result = AllocationSites.analyse(jfr, window, 10, List.of());
        System.out.println("sites within the spans: " + result);
        assertTrue(result.topFrames().stream().anyMatch(s -> s.frame().contains("allocateForTheRequest")), result::toString);
        assertTrue(result.topFrames().stream().noneMatch(s -> s.frame().contains("allocateForSomethingElse")),
                () -> "the thread's other work inside the window was counted: " + result);
        // The whole window, as before spans existed, would have had both.
        AllocationSites.Result whole = AllocationSites.analyse(jfr,
                new RequestWindow("req", a0 / 1_000_000L, b1 / 1_000_000L, new long[] {thread, a0, b1}), 10, List.of());
        assertEquals(2, whole.topFrames().stream().filter(s -> s.frame().contains("allocateFor")).count(), whole::toString);
    }
}
