package dev.allocline.benchmarks;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Question (#39 item 2): of a request's CPU time under one variant, how much runs inside allocline (its frames and
 * all they call: Log4j2, the JDK, Jersey), inside Jersey's request-event machinery outside allocline's listener
 * (what registering any {@code RequestEventListener} makes Jersey do), and inside a peer's own filters; and which
 * methods those are. {@code CpuPerRequest} measures the difference between variants; this names where it goes.
 * <pre>
 * java -Xms1g -Xmx1g -cp benchmarks/target/benchmarks.jar dev.allocline.benchmarks.WhereTheTimeGoes VARIANT [SECONDS]
 * </pre>
 * One caller thread serves requests in-process ({@code InProcessApp}, as {@code CpuPerRequest}) for 40,000 warm-up
 * requests, then for {@code SECONDS} (default 30) under a JFR recording of {@code jdk.ExecutionSample} every
 * millisecond. Each sample of the caller is charged to the outermost frames of interest on its stack: allocline's
 * (the benchmarks' own classes excepted; its three outermost methods name the row), else a peer's filter ({@code InProcessApp}'s access log and
 * request-id filter), else Jersey's monitoring ({@code org.glassfish.jersey.server.internal.monitoring}, and
 * {@code triggerEvent}); the rest is Jersey and the JDK serving the request. A row's nanoseconds per request are
 * its share of samples times the caller's CPU time per request ({@code getCurrentThreadCpuTime}). Each allocline
 * row also says where its samples' top frames were (Log4j2, the JDK, Jersey or allocline itself).
 *
 * <p>What could make it lie: JFR samples threads at safepoint-free points but only Java frames, and attributes an
 * inlined method to its own frame (JFR records inlined frames); samples are a statistic (a row of 1% is about
 * ±0.2% at 30 s). One variant per JVM: a row is its share in that JVM's compilation, not the difference to a peer,
 * which {@code CpuPerRequest} measures paired. Sampling costs the caller a little; every variant pays it alike.
 */
public final class WhereTheTimeGoes {

    private WhereTheTimeGoes() {
    }

    public static void main(String[] args) throws Exception {
        InProcessApp.Variant variant = InProcessApp.Variant.valueOf(args.length > 0 ? args[0] : "log4j_file");
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        jdk.jfr.FlightRecorder.getFlightRecorder(); // JFR's one-time set-up before the warm-up, as WhereTheBytesGo
        InProcessApp app = new InProcessApp(variant, "/hello", FilterOverheadBenchmark.Hello.class);
        Path file = Files.createTempFile("allocline-time-", ".jfr");
        long requests = 0;
        long cpu;
        Thread caller = Thread.currentThread();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try {
            for (int i = 0; i < 40_000; i++) {
                app.get();
            }
            try (Recording r = new Recording()) {
                r.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(1));
                r.start();
                long cpu0 = threads.getCurrentThreadCpuTime();
                long end = System.nanoTime() + seconds * 1_000_000_000L;
                while (System.nanoTime() < end) {
                    for (int i = 0; i < 500; i++) {
                        app.get();
                    }
                    requests += 500;
                }
                cpu = threads.getCurrentThreadCpuTime() - cpu0;
                r.stop();
                r.dump(file);
            }
        } finally {
            app.close();
        }
        Map<String, long[]> rows = new HashMap<>(); // label -> {samples, top in log4j2, jdk, jersey, allocline}
        Map<String, Long> leaves = new HashMap<>(); // innermost allocline frame and the top frame -> samples
        long samples = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (e.getThread("sampledThread") == null || e.getThread("sampledThread").getJavaThreadId() != caller.getId()
                    || e.getStackTrace() == null) {
                continue;
            }
            samples++;
            RecordedStackTrace stack = e.getStackTrace();
            String label = label(stack);
            long[] v = rows.computeIfAbsent(label, k -> new long[5]);
            v[0]++;
            if (label.startsWith("allocline ")) {
                leaves.merge(leaf(stack), 1L, Long::sum);
                String top = stack.getFrames().get(0).getMethod().getType().getName();
                v[top.startsWith("org.apache.logging.") ? 1 : top.startsWith("java.") || top.startsWith("jdk.")
                        || top.startsWith("sun.") ? 2 : top.startsWith("org.glassfish.") ? 3 : 4]++;
            }
        }
        Files.delete(file);
        if (stackTruncated) {
            System.out.println("note: some stacks were truncated at JFR's depth (64); raise it with -XX:FlightRecorderOptions:stackdepth=256");
        }
        double nsPerRequest = cpu / (double) requests;
        System.out.printf("%s: %d requests in %d s on one thread, %.0f ns CPU per request, %d samples%n", variant,
                requests, seconds, nsPerRequest, samples);
        List<Map.Entry<String, long[]>> sorted = new ArrayList<>(rows.entrySet());
        sorted.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        Map<String, Double> byKind = new HashMap<>();
        for (Map.Entry<String, long[]> row : sorted) {
            double share = row.getValue()[0] / (double) samples;
            String kind = row.getKey().substring(0, row.getKey().indexOf(' '));
            byKind.merge(kind, share, Double::sum);
            if (share < 0.002) {
                continue;
            }
            long[] v = row.getValue();
            System.out.printf("%6.1f%% %7.0f ns  %s%s%n", 100 * share, share * nsPerRequest, row.getKey(),
                    row.getKey().startsWith("allocline ") ? String.format(" (top frame: log4j2 %d%%, jdk %d%%, jersey %d%%, allocline %d%%)",
                            100 * v[1] / v[0], 100 * v[2] / v[0], 100 * v[3] / v[0], 100 * v[4] / v[0]) : "");
        }
        System.out.println("inside allocline, by its innermost method and the top frame (over 0.5% of all samples):");
        long all = samples;
        leaves.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .filter(en -> en.getValue() / (double) all >= 0.005)
                .forEach(en -> System.out.printf("%6.1f%% %7.0f ns  %s%n", 100.0 * en.getValue() / all,
                        en.getValue() * nsPerRequest / all, en.getKey()));
        for (Map.Entry<String, Double> k : byKind.entrySet()) {
            System.out.printf("total %-10s %5.1f%% %7.0f ns%n", k.getKey(), 100 * k.getValue(), k.getValue() * nsPerRequest);
        }
    }

    private static boolean stackTruncated;

    /** How many of a sample's allocline frames, outermost first, name its row. */
    private static final int DEPTH = 3;

    /** The innermost allocline frame and the top frame, {@code Class.method:line <- Class.method}. */
    private static String leaf(RecordedStackTrace stack) {
        List<RecordedFrame> frames = stack.getFrames();
        String top = name(frames.get(0));
        for (RecordedFrame f : frames) {
            String type = f.getMethod().getType().getName();
            if (type.startsWith("dev.allocline.") && !type.startsWith("dev.allocline.benchmarks.")) {
                String own = name(f) + ":" + f.getLineNumber();
                return f == frames.get(0) ? own : own + " <- " + top;
            }
        }
        return top;
    }

    private static String name(RecordedFrame f) {
        String type = f.getMethod().getType().getName();
        return type.substring(type.lastIndexOf('.') + 1) + "." + f.getMethod().getName();
    }

    /** The sample's row: the outermost frame of interest, as {@code kind Class.method}. */
    private static String label(RecordedStackTrace stack) {
        if (stack.isTruncated()) {
            stackTruncated = true;
        }
        List<RecordedFrame> frames = stack.getFrames();
        String peer = null;
        String events = null;
        List<String> own = new ArrayList<>(DEPTH);
        for (int i = frames.size() - 1; i >= 0; i--) {
            RecordedFrame f = frames.get(i);
            String type = f.getMethod().getType().getName();
            String method = f.getMethod().getName();
            String name = type.substring(type.lastIndexOf('.') + 1) + "." + method;
            if (type.startsWith("dev.allocline.benchmarks.")) {
                if (peer == null && (type.contains("AccessLog") || type.contains("RequestIdFilter"))) {
                    peer = "peer " + name;
                }
            } else if (type.startsWith("dev.allocline.")) {
                if (own.isEmpty() || !own.get(own.size() - 1).equals(name)) {
                    own.add(name);
                }
                if (own.size() == DEPTH) {
                    break;
                }
            } else if (events == null && (type.startsWith("org.glassfish.jersey.server.internal.monitoring.")
                    || method.equals("triggerEvent"))) {
                events = "jersey-events " + name;
            }
        }
        if (!own.isEmpty()) {
            return "allocline " + String.join(" > ", own);
        }
        return peer != null ? peer : events != null ? events : "request (Jersey and the JDK)";
    }
}
