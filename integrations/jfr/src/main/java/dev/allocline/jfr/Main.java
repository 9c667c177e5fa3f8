package dev.allocline.jfr;

import dev.allocline.internal.profile.FlameGraphs;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * {@code java -jar allocline-jfr.jar}: the on-call command. Reads any JFR recording holding allocline's
 * {@code dev.allocline.Request} events (a continuous {@code -XX:StartFlightRecording}, allocline's own
 * capture, a file fetched from S3) and answers by request and route from its allocation samples:
 * <pre>
 *   top FILE [--limit N]                  routes and requests ranked by sampled allocation, GCs overlapping each
 *   request ID FILE [--html OUT.html]     that request's threads, stretches, samples and top allocating frames
 *   route ROUTE FILE [--html OUT.html]    every request of the route, one flame graph merged over them
 * </pre>
 * A recording is streamed twice (stretches and lines, then samples), never held in memory: see {@link Stretches}.
 * Where the recording holds allocline's {@code dev.allocline.Line} events, each request's exact figure is shown
 * beside the sampled one (column {@code line}).
 * Exit status: 0 done, 1 bad usage, 2 the file cannot answer (unreadable, truncated, another JDK's format,
 * no allocline events, no such request or route). Single-threaded.
 */
public final class Main {

    private static final String SAMPLE = "jdk.ObjectAllocationSample";
    private static final String GC = "jdk.GarbageCollection";

    private final PrintStream out;
    private final PrintStream err;
    private long lastProgress = System.nanoTime();

    private Main(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Main m = new Main(out, err);
        try {
            return m.dispatch(args);
        } catch (Usage u) {
            err.println("allocline-jfr: " + u.getMessage());
            err.println(USAGE);
            return 1;
        } catch (Unanswerable u) {
            err.println("allocline-jfr: " + u.getMessage());
            return 2;
        } catch (OutOfMemoryError e) {
            // What is kept grows with the recording's requests (about 0.5 KB each) and stretches (20 bytes each).
            err.println("allocline-jfr: out of memory: this recording holds more requests than the heap allows ("
                    + (Runtime.getRuntime().maxMemory() >> 20) + " MiB); run it with more, e.g. java -Xmx4g -jar "
                    + "allocline-jfr.jar ... (about 0.5 KB per request in the file)");
            return 2;
        }
    }

    static final String USAGE = String.join("\n",
            "usage: java -jar allocline-jfr.jar top FILE [--limit N]",
            "       java -jar allocline-jfr.jar request ID FILE [--html OUT.html]",
            "       java -jar allocline-jfr.jar route ROUTE FILE [--html OUT.html]",
            "FILE is a JFR recording with allocline's dev.allocline.Request events (record them with",
            "-XX:StartFlightRecording:settings=default,+dev.allocline.Request#enabled=true).");

    private int dispatch(String[] args) {
        if (args.length == 0) {
            throw new Usage("no command");
        }
        List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
        String html = option(rest, "--html");
        String limit = option(rest, "--limit");
        switch (args[0]) {
            case "top":
                expect(rest, 1, "top FILE");
                return top(file(rest.get(0)), limit == null ? 10 : positive(limit));
            case "request":
                expect(rest, 2, "request ID FILE");
                return request(rest.get(0), file(rest.get(1)), html == null ? null : Path.of(html));
            case "route":
                expect(rest, 2, "route ROUTE FILE");
                return route(rest.get(0), file(rest.get(1)), html == null ? null : Path.of(html));
            default:
                throw new Usage("unknown command '" + args[0] + "'");
        }
    }

    private static String option(List<String> args, String name) {
        int i = args.indexOf(name);
        if (i < 0) {
            return null;
        }
        if (i + 1 >= args.size()) {
            throw new Usage(name + " needs a value");
        }
        String v = args.get(i + 1);
        args.remove(i + 1);
        args.remove(i);
        return v;
    }

    private static void expect(List<String> args, int n, String form) {
        if (args.size() != n) {
            throw new Usage("expected " + form + ", got " + args);
        }
    }

    private static int positive(String s) {
        try {
            int n = Integer.parseInt(s);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // below
        }
        throw new Usage("--limit must be a positive number, was " + s);
    }

    private static Path file(String name) {
        Path p = Path.of(name);
        if (!Files.isRegularFile(p)) {
            throw new Unanswerable(name + ": no such file");
        }
        return p;
    }

    // ---- reading ----

    private Stretches stretches(Path file) {
        Stretches s;
        try {
            s = Stretches.read(file, this::progress);
        } catch (IOException | RuntimeException e) {
            throw unreadable(file, e);
        }
        if (s.stretchCount == 0) {
            throw new Unanswerable(file + " has no " + Stretches.EVENT + " events (" + s.events + " events read): record"
                    + " with -XX:StartFlightRecording:settings=default,+" + Stretches.EVENT + "#enabled=true, or use a"
                    + " profile allocline captured");
        }
        return s;
    }

    private static Unanswerable unreadable(Path file, Exception e) {
        String why = String.valueOf(e.getMessage());
        String hint = why.toLowerCase(Locale.ROOT).contains("version")
                ? " (a recording from a newer JDK? read it with that JDK's java -jar)"
                : e instanceof java.io.EOFException || why.toLowerCase(Locale.ROOT).contains("eof")
                        || why.toLowerCase(Locale.ROOT).contains("truncat")
                        ? " (the file looks truncated: was it copied while still being written?)"
                        : " (not a JFR recording, or damaged)";
        return new Unanswerable("cannot read " + file + ": " + e.getClass().getSimpleName() + ": " + why + hint);
    }

    private void progress(long events) {
        long now = System.nanoTime();
        if (now - lastProgress > 2_000_000_000L) {
            lastProgress = now;
            err.println("allocline-jfr: " + events + " events read");
        }
    }

    /** Streams {@code file}'s allocation samples and GCs to {@code each}. */
    private void samples(Path file, SampleConsumer each, GcConsumer gcs) {
        long n = 0;
        try (RecordingFile in = new RecordingFile(file)) {
            while (in.hasMoreEvents()) {
                RecordedEvent e = in.readEvent();
                progress(++n);
                String type = e.getEventType().getName();
                if (SAMPLE.equals(type)) {
                    RecordedThread t = e.getThread("eventThread");
                    if (t != null) {
                        each.sample(e, t.getJavaThreadId());
                    }
                } else if (GC.equals(type) && gcs != null) {
                    gcs.gc(Stretches.nanos(e.getStartTime()), Stretches.nanos(e.getEndTime()),
                            e.getDuration("sumOfPauses"));
                }
            }
        } catch (IOException | RuntimeException e) {
            throw unreadable(file, e);
        }
    }

    private interface SampleConsumer {
        void sample(RecordedEvent e, long threadId);
    }

    private interface GcConsumer {
        void gc(long start, long end, Duration pauses);
    }

    // ---- commands ----

    private int top(Path file, int limit) {
        Stretches s = stretches(file);
        int n = s.ids.size();
        long[] bytes = new long[n];
        long[] samples = new long[n];
        long[] first = new long[n];
        long[] last = new long[n];
        Arrays.fill(first, Long.MAX_VALUE);
        Arrays.fill(last, Long.MIN_VALUE);
        for (Stretches.OnThread t : s.threads.values()) {
            for (int i = 0; i < t.size; i++) {
                int r = t.request[i];
                first[r] = Math.min(first[r], t.start[i]);
                last[r] = Math.max(last[r], t.end[i]);
            }
        }
        List<long[]> gcs = new ArrayList<>(); // start, end, pause nanos: a recording has few GCs
        long[] unattributed = new long[1];
        samples(file, (e, thread) -> {
            int r = s.requestAt(thread, e.getStartTime());
            long w = e.getLong("weight");
            if (r < 0) {
                unattributed[0] += w;
            } else {
                bytes[r] += w;
                samples[r]++;
            }
        }, (start, end, pauses) -> gcs.add(new long[] {start, end, pauses.toNanos()}));
        long total = unattributed[0];
        long[] routeBytes = new long[s.routes.size()];
        int[] routeRequests = new int[s.routes.size()];
        for (int r = 0; r < n; r++) {
            total += bytes[r];
            routeBytes[s.routeOf.get(r)] += bytes[r];
            routeRequests[s.routeOf.get(r)]++;
        }
        out.printf(Locale.ROOT, "%s: %d requests, %d stretches, %s sampled (%s outside any request)%n", file, n,
                s.stretchCount, bytes(total), bytes(unattributed[0]));
        out.println();
        out.println("routes by sampled allocation:");
        out.printf(Locale.ROOT, "  %-8s %10s %9s  %s%n", "share", "bytes", "requests", "route");
        Integer[] routeOrder = order(routeBytes.length, i -> routeBytes[i]);
        for (int k = 0; k < Math.min(limit, routeOrder.length); k++) {
            int i = routeOrder[k];
            out.printf(Locale.ROOT, "  %7.1f%% %10s %9d  %s%n", share(routeBytes[i], total), bytes(routeBytes[i]),
                    routeRequests[i], s.routes.get(i).isEmpty() ? "(no route)" : s.routes.get(i));
        }
        out.println();
        out.println("requests by sampled allocation:");
        out.printf(Locale.ROOT, "  %-8s %10s %10s %8s %8s %12s  %-34s %s%n", "share", "bytes", "line", "samples",
                "threads", "gc (pauses)", "request", "route");
        Integer[] order = order(n, i -> bytes[i]);
        for (int k = 0; k < Math.min(limit, n); k++) {
            int r = order[k];
            int gcCount = 0;
            long pause = 0;
            for (long[] g : gcs) {
                if (g[1] >= first[r] && g[0] <= last[r]) {
                    gcCount++;
                    pause += g[2];
                }
            }
            Long line = s.lineBytes.get(s.ids.get(r));
            out.printf(Locale.ROOT, "  %7.1f%% %10s %10s %8d %8d %12s  %-34s %s%n", share(bytes[r], total), bytes(bytes[r]),
                    line == null ? "-" : line < 0 ? "n/a" : bytes(line), samples[r], threadsOf(s, r),
                    gcCount + " (" + millis(pause) + ")", s.ids.get(r), s.routes.get(s.routeOf.get(r)));
        }
        return 0;
    }

    private int request(String id, Path file, Path html) {
        Stretches s = stretches(file);
        int r = s.request(id);
        if (r < 0) {
            throw new Unanswerable("no request " + id + " in " + file + " (" + s.ids.size() + " requests in it)");
        }
        out.printf(Locale.ROOT, "request %s  %s %s%n", id, s.methods.get(r), s.routes.get(s.routeOf.get(r)));
        Long line = s.lineBytes.get(id);
        if (line != null) {
            out.println("line: alloc_bytes=" + line + (line >= 0 ? " (" + bytes(line) + ")" : ""));
        }
        out.println("stretches (thread, start, duration):");
        for (Map.Entry<Long, Stretches.OnThread> t : s.threads.entrySet()) {
            Stretches.OnThread on = t.getValue();
            for (int i = 0; i < on.size; i++) {
                if (on.request[i] == r) {
                    out.printf(Locale.ROOT, "  %-30s %s  %s%n", on.name + " (" + t.getKey() + ")",
                            Instant.ofEpochSecond(0, on.start[i]), millis(on.end[i] - on.start[i]));
                }
            }
        }
        return samplesOf(s, file, x -> x == r, "request " + id, html);
    }

    private int route(String route, Path file, Path html) {
        Stretches s = stretches(file);
        int ri = s.route(route);
        if (ri < 0) {
            throw new Unanswerable("no route " + route + " in " + file + "; its routes: " + s.routes);
        }
        int requests = 0;
        for (int r = 0; r < s.ids.size(); r++) {
            if (s.routeOf.get(r) == ri) {
                requests++;
            }
        }
        out.printf(Locale.ROOT, "route %s: %d requests%n", route, requests);
        return samplesOf(s, file, x -> s.routeOf.get(x) == ri, "route " + route, html);
    }

    /** Sums the samples of the requests {@code mine} accepts, prints their top frames, draws the flame graph. */
    private int samplesOf(Stretches s, Path file, java.util.function.IntPredicate mine, String title, Path html) {
        long[] total = new long[2];
        Map<String, Long> byFrame = new HashMap<>();
        samples(file, (e, thread) -> {
            int r = s.requestAt(thread, e.getStartTime());
            if (r >= 0 && mine.test(r)) {
                long w = e.getLong("weight");
                total[0] += w;
                total[1]++;
                byFrame.merge(topApplicationFrame(e.getStackTrace()), w, Long::sum);
            }
        }, null);
        out.printf(Locale.ROOT, "samples: %d, %s sampled%n", total[1], bytes(total[0]));
        out.println("top allocating frames:");
        byFrame.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(10)
                .forEach(f -> out.printf(Locale.ROOT, "  %7.1f%% %10s  %s%n", share(f.getValue(), total[0]),
                        bytes(f.getValue()), f.getKey()));
        if (html != null) {
            if (FlameGraphs.UNAVAILABLE != null) {
                throw new Unanswerable("cannot draw " + html + ": " + FlameGraphs.UNAVAILABLE);
            }
            Predicate<RecordedEvent> keep = e -> {
                RecordedThread t = e.getThread("eventThread");
                int r = t == null ? -1 : s.requestAt(t.getJavaThreadId(), e.getStartTime());
                return r >= 0 && mine.test(r);
            };
            try {
                FlameGraphs.render(file, keep, html, "allocline " + title);
            } catch (IOException | RuntimeException e) {
                throw new Unanswerable("cannot draw " + html + ": " + e);
            }
            out.println("flame graph: " + html);
        }
        return 0;
    }

    /** The first frame that is not the JDK's: where the application allocated. */
    static String topApplicationFrame(RecordedStackTrace stack) {
        if (stack == null || stack.getFrames().isEmpty()) {
            return "(no stack)";
        }
        for (RecordedFrame f : stack.getFrames()) {
            String type = f.getMethod().getType().getName();
            if (!(type.startsWith("java.") || type.startsWith("jdk.") || type.startsWith("sun."))) {
                return type + "." + f.getMethod().getName();
            }
        }
        RecordedFrame f = stack.getFrames().get(0);
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    private static int threadsOf(Stretches s, int r) {
        int n = 0;
        for (Stretches.OnThread t : s.threads.values()) {
            for (int i = 0; i < t.size; i++) {
                if (t.request[i] == r) {
                    n++;
                    break;
                }
            }
        }
        return n;
    }

    private static Integer[] order(int n, java.util.function.IntToLongFunction key) {
        Integer[] o = new Integer[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        Arrays.sort(o, (a, b) -> Long.compare(key.applyAsLong(b), key.applyAsLong(a)));
        return o;
    }

    private static double share(long part, long total) {
        return total == 0 ? 0 : 100.0 * part / total;
    }

    static String bytes(long b) {
        if (b >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", b / (double) (1L << 30));
        }
        if (b >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
        }
        if (b >= 1L << 10) {
            return String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
        }
        return b + " B";
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
    }

    /** Bad arguments: exit 1 with the usage. */
    static final class Usage extends RuntimeException {
        Usage(String message) {
            super(message, null, false, false);
        }
    }

    /** The file cannot answer: exit 2 with why. */
    static final class Unanswerable extends RuntimeException {
        Unanswerable(String message) {
            super(message, null, false, false);
        }
    }
}
