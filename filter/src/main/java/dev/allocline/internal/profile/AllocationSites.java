package dev.allocline.internal.profile;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Names the code that allocated, from a JFR recording: the {@code jdk.ObjectAllocationSample} events
 * of one request's threads during the spans they worked for it, their {@code weight} (bytes the sample stands for)
 * summed by allocation site. Two views: the top frame (where the allocation instruction is) and the
 * first application frame (the first frame outside the JDK and the usual framework packages), since
 * the top frame of a JSON serialisation is inside Jackson while the fix is in the caller. Runs on the
 * profile thread only. Not API.
 */
public final class AllocationSites {

    private static final String[] LIBRARY_PREFIXES = {
        "java.", "javax.", "jdk.", "sun.", "com.sun.", "jakarta.", "org.glassfish.", "com.fasterxml.",
        "org.apache.logging.", "org.jvnet.hk2.", "software.amazon.", "io.netty.", "org.eclipse.jetty.", "org.jboss.",
        "io.undertow.", "org.apache.cxf.", "org.springframework.", "io.micrometer.", "io.quarkus.", "io.vertx.",
        "org.slf4j.", "ch.qos.logback.", "io.opentelemetry.",
        // allocline itself (not dev.allocline.example: the example is an application)
        "dev.allocline.AllocLine", "dev.allocline.jersey.", "dev.allocline.jaxrs.", "dev.allocline.cxf.",
        "dev.allocline.internal.", "dev.allocline.profile.", "dev.allocline.line.", "dev.allocline.micrometer.",
        "dev.allocline.test.",
    };

    private static final List<String> LIBRARY = List.of(LIBRARY_PREFIXES);

    /** One allocation site and the bytes sampled there. */
    public record Site(String frame, long bytes, double share) {
    }

    /**
     * The analysis of one request.
     *
     * @param samples        matching samples
     * @param sampledBytes   their summed weight
     * @param topFrames      sites by top frame, largest first
     * @param appFrames      sites by first application frame, largest first
     */
    public record Result(int samples, long sampledBytes, List<Site> topFrames, List<Site> appFrames) {
    }

    private AllocationSites() {
    }

    /**
     * Reads {@code jfrFile} and sums the request's allocation samples by site.
     *
     * @param applicationPackages package prefixes of the application (e.g. {@code com.example.}); when
     *                            given, the first frame in one of them is the application frame; when
     *                            empty, the first frame outside the JDK, common frameworks and this library
     */
    public static Result analyse(Path jfrFile, RequestWindow window, int limit, List<String> applicationPackages)
            throws IOException {
        Instant from = Instant.ofEpochMilli(window.startEpochMillis() - 1);
        Instant to = Instant.ofEpochMilli(window.endEpochMillis() + 1);
        Map<String, Long> top = new HashMap<>();
        Map<String, Long> app = new HashMap<>();
        long total = 0;
        int samples = 0;
        try (RecordingFile file = new RecordingFile(jfrFile)) {
            while (file.hasMoreEvents()) {
                RecordedEvent e = file.readEvent();
                if (!"jdk.ObjectAllocationSample".equals(e.getEventType().getName())) {
                    continue;
                }
                Instant at = e.getStartTime();
                if (at.isBefore(from) || at.isAfter(to)) {
                    continue;
                }
                RecordedThread t = e.getThread("eventThread");
                if (t == null || !window.covers(t.getJavaThreadId(), at)) {
                    continue; // another thread, or this one while it worked for something else
                }
                long weight = e.getLong("weight");
                total += weight;
                samples++;
                RecordedStackTrace st = e.getStackTrace();
                List<RecordedFrame> frames = st == null ? List.of() : st.getFrames();
                top.merge(frames.isEmpty() ? "(no stack)" : describe(frames.get(0)), weight, Long::sum);
                app.merge(firstApplicationFrame(frames, applicationPackages), weight, Long::sum);
            }
        }
        return new Result(samples, total, ranked(top, total, limit), ranked(app, total, limit));
    }

    private static String firstApplicationFrame(List<RecordedFrame> frames, List<String> applicationPackages) {
        for (RecordedFrame f : frames) {
            if (!f.isJavaFrame()) {
                continue;
            }
            String type = f.getMethod().getType().getName();
            boolean application = applicationPackages.isEmpty()
                    ? !startsWithAny(type, LIBRARY) : startsWithAny(type, applicationPackages);
            if (application) {
                return describe(f);
            }
        }
        return frames.isEmpty() ? "(no stack)" : "(library only)";
    }

    private static boolean startsWithAny(String type, List<String> prefixes) {
        for (String p : prefixes) {
            if (type.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    private static String describe(RecordedFrame f) {
        String name = f.getMethod().getType().getName() + "." + f.getMethod().getName();
        int line = f.getLineNumber();
        return line > 0 ? name + ":" + line : name;
    }

    private static List<Site> ranked(Map<String, Long> sums, long total, int limit) {
        List<Map.Entry<String, Long>> entries = new ArrayList<>(sums.entrySet());
        entries.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
        List<Site> out = new ArrayList<>();
        for (int i = 0; i < Math.min(limit, entries.size()); i++) {
            Map.Entry<String, Long> e = entries.get(i);
            out.add(new Site(e.getKey(), e.getValue(), total == 0 ? 0 : (double) e.getValue() / total));
        }
        return out;
    }
}
