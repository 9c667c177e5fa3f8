package dev.allocline.internal.profile;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import jdk.jfr.Recording;

/**
 * The always-on JFR recording that profiles are cut from. {@code jdk.ObjectAllocationSample} is
 * throttled by the JVM (150/s in JFR's default settings, 300/s in "profile"; here configurable), so
 * its cost does not grow with the allocation rate; every sample carries a {@code weight} (bytes it
 * stands for), which makes sums by site meaningful. The recording lives in JFR's disk repository,
 * bounded by age and size, and {@link #dumpTo(Path)} copies it out without stopping it.
 */
final class ContinuousAllocationRecording implements AutoCloseable {

    private final Recording recording;

    ContinuousAllocationRecording(String throttle, Duration maxAge, long maxSizeBytes) {
        Recording r = new Recording();
        r.setName("allocline");
        r.enable("jdk.ObjectAllocationSample").with("throttle", throttle).withStackTrace();
        r.enable("jdk.GarbageCollection");
        r.enable("jdk.GCHeapSummary");
        // allocline's own stretch event (accounting.StretchEvents): which request each thread worked for, when
        r.enable("dev.allocline.Request");
        r.enable("dev.allocline.Line"); // accounting.LineEvent: each request's exact figure beside its samples
        r.setToDisk(true);
        r.setMaxAge(maxAge);
        r.setMaxSize(maxSizeBytes);
        r.start();
        this.recording = r;
    }

    /** Writes everything recorded so far to {@code file}; the recording keeps running. */
    void dumpTo(Path file) throws IOException {
        recording.dump(file);
    }

    @Override
    public void close() {
        recording.close();
    }
}
