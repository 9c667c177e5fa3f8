package dev.allocline.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * The reference the streaming reader is checked against: every stretch of the file in memory, then every
 * sample matched to the stretch covering it on its thread, whatever the order they were written in. Where
 * the streaming reader's assumption about JFR's order (a stretch's samples never come in a later flush
 * segment than the stretch; see {@link Stretches}) failed, a sample would land outside any request there and
 * inside one here. For tests only: it holds the whole file's stretches.
 */
final class WholeFile {

    private WholeFile() {
    }

    /** Sampled bytes per request id, as a reader holding every stretch finds them; key "" for outside any. */
    static Map<String, Long> sampledBytes(Path file) throws IOException {
        Map<Long, List<long[]>> stretches = new HashMap<>(); // thread -> start, end, index into ids
        List<String> ids = new ArrayList<>();
        try (RecordingFile in = new RecordingFile(file)) {
            while (in.hasMoreEvents()) {
                RecordedEvent e = in.readEvent();
                if (e.getEventType().getName().equals(Stretches.EVENT) && e.getThread() != null) {
                    ids.add(e.getString("request_id"));
                    stretches.computeIfAbsent(e.getThread().getJavaThreadId(), k -> new ArrayList<>()).add(new long[] {
                            Stretches.nanos(e.getStartTime()), Stretches.nanos(e.getEndTime()), ids.size() - 1});
                }
            }
        }
        for (List<long[]> on : stretches.values()) {
            on.sort((a, b) -> Long.compare(a[0], b[0]));
        }
        Map<String, Long> bytes = new HashMap<>();
        try (RecordingFile in = new RecordingFile(file)) {
            while (in.hasMoreEvents()) {
                RecordedEvent e = in.readEvent();
                if (!e.getEventType().getName().equals(Stretches.SAMPLE)) {
                    continue;
                }
                RecordedThread t = e.getThread("eventThread");
                if (t == null) {
                    continue;
                }
                long time = Stretches.nanos(e.getStartTime());
                String owner = "";
                List<long[]> on = stretches.getOrDefault(t.getJavaThreadId(), List.of());
                int lo = 0;
                int hi = on.size() - 1;
                while (lo <= hi) { // the last stretch starting at or before the sample
                    int mid = (lo + hi) >>> 1;
                    if (on.get(mid)[0] <= time) {
                        if (time <= on.get(mid)[1]) {
                            owner = ids.get((int) on.get(mid)[2]);
                        }
                        lo = mid + 1;
                    } else {
                        hi = mid - 1;
                    }
                }
                bytes.merge(owner, e.getLong("weight"), Long::sum);
            }
        }
        return bytes;
    }

    /** Asserts that the streaming reader finds, request by request, what the whole-file reference finds. */
    static Stretches assertStreamingMatches(Path file) throws IOException {
        Map<String, Long> streamed = new HashMap<>();
        Stretches s = Stretches.read(file, new Stretches.Listener() {
            @Override
            public void finished(Stretches.Request r) {
                streamed.merge(r.id, r.bytes, Long::sum);
            }
        }, false, n -> { });
        Map<String, Long> reference = sampledBytes(file);
        assertEquals(reference.getOrDefault("", 0L), s.unattributed, "sampled bytes outside any request");
        reference.remove("");
        streamed.values().removeIf(b -> b == 0); // requests with no sample are not in the reference's map
        assertEquals(reference, streamed, "sampled bytes per request");
        return s;
    }
}
