package dev.allocline.internal.profile;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * A request's spans as the recording itself has them: its {@code dev.allocline.Request} stretch events (one
 * per stretch a thread worked for it, timed by JFR's own clock, the one its allocation samples carry). Where
 * the capture holds them they replace the spans the request measured with {@code System.nanoTime} and turned
 * into wall-clock time at its end, so the request's recording, sites and flame graph hold exactly the samples
 * of the stretches the line counted. One streaming pass over the capture. Runs on the profile thread. Not API.
 */
final class StretchSpans {

    static final String EVENT = "dev.allocline.Request";

    private StretchSpans() {
    }

    /** {@code window} with its spans taken from {@code recording}'s stretch events of the request, or null when it has none. */
    static RequestWindow of(Path recording, RequestWindow window) throws IOException {
        long[] spans = new long[12];
        int n = 0;
        try (RecordingFile in = new RecordingFile(recording)) {
            while (in.hasMoreEvents()) {
                RecordedEvent e = in.readEvent();
                if (!EVENT.equals(e.getEventType().getName()) || !window.requestId().equals(e.getString("request_id"))) {
                    continue;
                }
                RecordedThread t = e.getThread();
                if (t == null) {
                    continue;
                }
                if (n + 3 > spans.length) {
                    spans = Arrays.copyOf(spans, spans.length * 2);
                }
                spans[n++] = t.getJavaThreadId();
                spans[n++] = nanos(e.getStartTime());
                spans[n++] = nanos(e.getEndTime());
            }
        }
        return n == 0 ? null : new RequestWindow(window.requestId(), window.startEpochMillis(), window.endEpochMillis(),
                Arrays.copyOf(spans, n));
    }

    private static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
