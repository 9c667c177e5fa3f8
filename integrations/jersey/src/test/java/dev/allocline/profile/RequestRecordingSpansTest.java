package dev.allocline.profile;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.allocline.internal.profile.RequestRecording;
import dev.allocline.internal.profile.RequestWindow;
import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request's recording keeps its thread's samples only inside the spans it worked for the request:
 * what the same thread did between them (another request, while this one was suspended) is left out.
 * Proved on a real recording with known spans, as {@link AllocationSitesTest} does for the sites.
 */
class RequestRecordingSpansTest {

    @Test
    void samplesOfTheSameThreadBetweenItsSpansAreLeftOut(@TempDir Path dir) throws Exception {
        assumeTrue(RequestRecording.UNAVAILABLE == null, "RecordingFile.write needs JDK 19+");
        Path full = dir.resolve("full.jfr");
        long thread = Thread.currentThread().getId();
        long a0;
        long a1;
        long b0;
        long b1;
        try (Recording r = new Recording()) {
            r.enable("jdk.ObjectAllocationSample").with("throttle", "1000/ms").withStackTrace();
            r.enable("jdk.GarbageCollection");
            r.start();
            AllocationSitesTest.allocateForTheRequest(16L << 20); // before the request: outside every span
            a0 = AllocationSitesTest.epochNanos();
            AllocationSitesTest.allocateForTheRequest(64L << 20);
            a1 = AllocationSitesTest.epochNanos();
            AllocationSitesTest.allocateForSomethingElse(64L << 20);
            b0 = AllocationSitesTest.epochNanos();
            AllocationSitesTest.allocateForTheRequest(64L << 20);
            b1 = AllocationSitesTest.epochNanos();
            AllocationSitesTest.allocateForSomethingElse(16L << 20);
            r.stop();
            r.dump(full);
        }
        RequestWindow window = new RequestWindow("req", a0 / 1_000_000L, b1 / 1_000_000L,
                new long[] {thread, a0, a1, thread, b0, b1});
        Path request = dir.resolve("request.jfr");
        RequestRecording.write(full, request, window);

        List<RequestRecordingTest.Sample> all = RequestRecordingTest.samples(full);
        assertTrue(all.stream().anyMatch(s -> s.frames().contains("allocateForSomethingElse")), "the full one has both");
        List<RequestRecordingTest.Sample> own = RequestRecordingTest.samples(request);
        assertTrue(own.stream().anyMatch(s -> s.frames().contains("allocateForTheRequest")), own::toString);
        for (RequestRecordingTest.Sample s : own) {
            long at = s.at().getEpochSecond() * 1_000_000_000L + s.at().getNano();
            assertTrue(s.thread() == thread && (at >= a0 && at <= a1 || at >= b0 && at <= b1),
                    () -> "a sample outside the spans: " + s);
            assertFalse(s.frames().contains("allocateForSomethingElse"), s::toString);
        }
    }
}
