package dev.allocline.jfr;

import dev.allocline.internal.profile.FlameGraphs;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Predicate;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
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
 * A recording is checked chunk header by chunk header ({@link Chunks}), then streamed once, keeping only the
 * requests, stretches and samples still open (see {@link Stretches}): the heap needed does not grow with the
 * number of requests in the file.
 * Where the recording holds allocline's {@code dev.allocline.Line} events, each request's exact figure is shown
 * beside the sampled one (column {@code line}).
 * Exit status: 0 done, 1 bad usage, 2 the file cannot answer (unreadable, truncated, another JDK's format,
 * no allocline events, no such request or route). Single-threaded.
 */
public final class Main {

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
            // What is kept is what is open between two flush points (Stretches): a segment of the file, not all of it.
            err.println("allocline-jfr: out of memory (" + (Runtime.getRuntime().maxMemory() >> 20) + " MiB): one"
                    + " segment of this recording holds more open requests and samples than the heap allows; run it"
                    + " with more, e.g. java -Xmx1g -jar allocline-jfr.jar ...");
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

    /**
     * Checks {@code file} whole, then streams it once to {@code listener} (see {@link Stretches}); with
     * {@code stacks}, samples keep their stack until claimed.
     */
    private Stretches read(Path file, Stretches.Listener listener, boolean stacks) {
        Stretches s;
        try {
            Chunks.scan(file);
            try (RecordingFile first = new RecordingFile(file)) {
                // the JDK's own parser on the first chunk: its message for what the header walk cannot judge
                first.hasMoreEvents();
            }
            s = Stretches.read(file, listener, stacks, this::progress);
        } catch (IOException | RuntimeException e) {
            if (e instanceof Unanswerable u) {
                throw u;
            }
            throw unreadable(file, e);
        }
        if (s.stretchCount == 0) {
            throw new Unanswerable(file + " has no " + Stretches.EVENT + " events (" + s.events + " of its events"
                    + " read): record with -XX:StartFlightRecording:settings=default,+" + Stretches.EVENT
                    + "#enabled=true, or use a profile allocline captured");
        }
        if (s.lostToHorizon > 0) {
            err.println("allocline-jfr: " + s.lostToHorizon + " stretches lasted longer than "
                    + Stretches.HORIZON_NANOS / 1_000_000_000L + " s of recording: their older samples are counted"
                    + " outside any request");
        }
        return s;
    }

    private static Unanswerable unreadable(Path file, Exception e) {
        String why = String.valueOf(e.getMessage());
        String lower = why.toLowerCase(Locale.ROOT);
        String hint = e instanceof Chunks.UnsupportedVersion || lower.contains("version")
                ? " (a recording from another JDK? read it with that JDK: <that JDK>/bin/java -jar allocline-jfr.jar)"
                : e instanceof java.io.EOFException || lower.contains("eof") || lower.contains("truncat")
                        ? " (the file looks truncated: was it copied while still being written?)"
                        : " (not a JFR recording, or damaged)";
        return new Unanswerable("cannot read " + file + ": " + e.getClass().getSimpleName() + ": " + why + hint);
    }

    private void progress(long events) {
        if ((events & 0xFFF) != 0) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastProgress > 2_000_000_000L) {
            lastProgress = now;
            err.println("allocline-jfr: " + events + " events read");
        }
    }

    // ---- commands ----

    /** Ranks requests as they become final: a heap of the {@code limit} heaviest, lightest on top. */
    private static final class Top implements Stretches.Listener {
        final int limit;
        final PriorityQueue<Stretches.Request> heaviest = new PriorityQueue<>(
                Comparator.<Stretches.Request>comparingLong(r -> r.bytes).thenComparing(r -> -r.seq));
        final List<long[]> gcs = new ArrayList<>(); // start, end, pause nanos: 24 bytes per GC

        Top(int limit) {
            this.limit = limit;
        }

        @Override
        public void finished(Stretches.Request r) {
            if (heaviest.size() < limit) {
                heaviest.add(r);
            } else if (heaviest.comparator().compare(r, heaviest.peek()) > 0) {
                heaviest.poll();
                heaviest.add(r);
            }
        }

        @Override
        public void gc(long start, long end, long pauseNanos) {
            gcs.add(new long[] {start, end, pauseNanos});
        }
    }

    private int top(Path file, int limit) {
        Top top = new Top(limit);
        Stretches s = read(file, top, false);
        long total = s.attributed + s.unattributed;
        out.printf(Locale.ROOT, "%s: %d requests, %d stretches, %s sampled (%s outside any request)%n", file,
                s.requests, s.stretchCount, bytes(total), bytes(s.unattributed));
        out.println();
        out.println("routes by sampled allocation:");
        out.printf(Locale.ROOT, "  %-8s %10s %9s  %s%n", "share", "bytes", "requests", "route");
        Integer[] routeOrder = order(s.routes.size(), i -> s.routeBytes[i]);
        for (int k = 0; k < Math.min(limit, routeOrder.length); k++) {
            int i = routeOrder[k];
            out.printf(Locale.ROOT, "  %7.1f%% %10s %9d  %s%n", share(s.routeBytes[i], total), bytes(s.routeBytes[i]),
                    s.routeRequests[i], s.routes.get(i).isEmpty() ? "(no route)" : s.routes.get(i));
        }
        out.println();
        out.println("requests by sampled allocation:");
        out.printf(Locale.ROOT, "  %-8s %10s %10s %8s %8s %12s  %-34s %s%n", "share", "bytes", "line", "samples",
                "threads", "gc (pauses)", "request", "route");
        List<Stretches.Request> ranked = new ArrayList<>(top.heaviest);
        ranked.sort(top.heaviest.comparator().reversed());
        for (Stretches.Request r : ranked) {
            int gcCount = 0;
            long pause = 0;
            for (long[] g : top.gcs) {
                if (g[1] >= r.first && g[0] <= r.last) {
                    gcCount++;
                    pause += g[2];
                }
            }
            long line = r.line;
            out.printf(Locale.ROOT, "  %7.1f%% %10s %10s %8d %8d %12s  %-34s %s%n", share(r.bytes, total), bytes(r.bytes),
                    line == Stretches.NO_LINE ? "-" : line < 0 ? "n/a" : bytes(line), r.samples, r.threadCount,
                    gcCount + " (" + millis(pause) + ")", r.id, r.route);
        }
        return 0;
    }

    /** The samples of the requests {@code mine} accepts: summed by top frame, drawn into a flame graph. */
    private static class Selected implements Stretches.Listener {
        final Predicate<Stretches.Request> mine;
        final FlameGraphs.Graph graph;
        final Map<String, Long> byFrame = new HashMap<>(); // one entry per distinct frame: bounded by the code
        long bytes;
        long samples;
        IOException failed;

        Selected(Predicate<Stretches.Request> mine, FlameGraphs.Graph graph) {
            this.mine = mine;
            this.graph = graph;
        }

        @Override
        public void sample(Stretches.Request r, long weight, RecordedStackTrace stack, String objectClass) {
            if (!mine.test(r)) {
                return;
            }
            bytes += weight;
            samples++;
            byFrame.merge(topApplicationFrame(stack), weight, Long::sum);
            if (graph != null && failed == null) {
                try {
                    graph.add(stack, objectClass, weight);
                } catch (IOException e) {
                    failed = e;
                }
            }
        }
    }

    /** One request: its stretches (the only ones kept), its line, its samples. */
    private static final class OneRequest extends Selected {
        final String id;
        final List<Object[]> stretches = new ArrayList<>(); // thread id, thread name, start, end
        Stretches.Request seen;

        OneRequest(String id, FlameGraphs.Graph graph) {
            super(r -> r.id.equals(id), graph);
            this.id = id;
        }

        @Override
        public void stretch(Stretches.Request r, long threadId, String threadName, long start, long end) {
            if (r.id.equals(id)) {
                stretches.add(new Object[] {threadId, threadName, start, end});
            }
        }

        @Override
        public void finished(Stretches.Request r) {
            if (r.id.equals(id)) {
                if (seen != null) { // seen again after it was final: its stretches were far apart
                    r.line = r.line == Stretches.NO_LINE ? seen.line : r.line;
                }
                seen = r;
            }
        }
    }

    private FlameGraphs.Graph graph(Path html, String title) {
        if (html == null) {
            return null;
        }
        if (FlameGraphs.UNAVAILABLE != null) {
            throw new Unanswerable("cannot draw " + html + ": " + FlameGraphs.UNAVAILABLE);
        }
        try {
            return FlameGraphs.graph("allocline " + title);
        } catch (IOException | RuntimeException e) {
            throw new Unanswerable("cannot draw " + html + ": " + e);
        }
    }

    private int request(String id, Path file, Path html) {
        OneRequest one = new OneRequest(id, graph(html, "request " + id));
        Stretches s = read(file, one, true);
        Stretches.Request r = one.seen;
        if (r == null) {
            throw new Unanswerable("no request " + id + " in " + file + " (" + s.requests + " requests in it)");
        }
        out.printf(Locale.ROOT, "request %s  %s %s%n", id, r.method, r.route);
        if (r.line != Stretches.NO_LINE) {
            out.println("line: alloc_bytes=" + r.line + (r.line >= 0 ? " (" + bytes(r.line) + ")" : ""));
        }
        out.println("stretches (thread, start, duration):");
        one.stretches.sort(Comparator.<Object[]>comparingLong(x -> (Long) x[0]).thenComparingLong(x -> (Long) x[2]));
        for (Object[] x : one.stretches) {
            long start = (Long) x[2];
            out.printf(Locale.ROOT, "  %-30s %s  %s%n", x[1] + " (" + x[0] + ")", Instant.ofEpochSecond(0, start),
                    millis((Long) x[3] - start));
        }
        return report(one, html);
    }

    private int route(String route, Path file, Path html) {
        Selected mine = new Selected(r -> r.route.equals(route), graph(html, "route " + route));
        Stretches s = read(file, mine, true);
        int ri = s.routeIndexOf(route);
        if (ri < 0) {
            throw new Unanswerable("no route " + route + " in " + file + "; its routes: " + s.routes);
        }
        out.printf(Locale.ROOT, "route %s: %d requests%n", route, s.routeRequests[ri]);
        return report(mine, html);
    }

    /** Prints the selected samples' top frames and writes the flame graph. */
    private int report(Selected mine, Path html) {
        out.printf(Locale.ROOT, "samples: %d, %s sampled%n", mine.samples, bytes(mine.bytes));
        out.println("top allocating frames:");
        mine.byFrame.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(10)
                .forEach(f -> out.printf(Locale.ROOT, "  %7.1f%% %10s  %s%n", share(f.getValue(), mine.bytes),
                        bytes(f.getValue()), f.getKey()));
        if (html != null) {
            try {
                if (mine.failed != null) {
                    throw mine.failed;
                }
                mine.graph.write(html);
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
