package dev.allocline.benchmarks;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Question: which allocations of one hello-world request does allocline make, and where? The GC
 * profiler gives the total per request; this names the sites behind it.
 *
 * <p>Runs one variant in-process, warms it up, then records every allocation of a few thousand
 * requests on the calling threads with JFR and attributes each to the innermost allocline frame on its
 * stack (what allocline allocates itself or asks another library for, e.g. Log4j2's
 * {@code ThreadContext}). Run with TLABs off, so that every allocation is a JFR event rather than a
 * sample:
 * <pre>
 * java -XX:-UseTLAB -cp benchmarks/target/benchmarks.jar dev.allocline.benchmarks.WhereTheBytesGo \
 *     VARIANT [REQUESTS [THREADS]] [--all [--frame-types]] [--sites FILE]
 * </pre>
 * {@code THREADS} callers share the requests (default 1); {@code --all} attributes every allocation of
 * the callers, not only allocline's, to its innermost frame outside the JDK (to compare variants and
 * thread counts site by site; {@code --frame-types} adds how the allocating frame ran, interpreted, compiled
 * or inlined); {@code --sites FILE} also writes the table as {@code site bytes} rows
 * (bytes per request) ending with three lines, {@code log4j2-floor N}, {@code allocline-own N} and
 * {@code total N}, the form {@code results/own-bytes-jdk*.txt} is published in. Log4j2's floor is what Log4j2
 * allocates for any caller that logs a line and puts an id into its {@code ThreadContext} (the context maps, the
 * event's {@code Instant}, {@code MapMessage}'s map): every allocation with a Log4j2 frame between allocline's
 * frame and the allocating one; allocline's own is the rest (its objects, and what it asks the JDK or Jersey to
 * allocate, such as the request property's map node).
 *
 * <p>JFR is initialised before the warm-up, so that what allocline does once when JFR is there (defining its
 * two event types, whose use stays off unless a recording enables them) happens then and is not spread over the
 * measured requests.
 *
 * <p>What could make it lie: without TLABs the JIT still eliminates the allocations escape analysis
 * removes, as in production, but which ones it removes can differ from one JVM to the next (the
 * Jersey internals most); the sites of allocline's own objects are stable. Allocations on threads other
 * than the callers (none for a synchronous request) are not counted. With TLABs off every allocation
 * takes the shared heap's slow path, so many callers run slower than they would; the bytes are the same.
 */
public final class WhereTheBytesGo {

    private static final String CALLER = "where-the-bytes-go-";

    private WhereTheBytesGo() {
    }

    public static void main(String[] args) throws Exception {
        List<String> positional = new ArrayList<>();
        boolean all = false;
        boolean frameTypes = false;
        Path sitesFile = null;
        for (int i = 0; i < args.length; i++) {
            if ("--all".equals(args[i])) {
                all = true;
            } else if ("--frame-types".equals(args[i])) {
                frameTypes = true;
            } else if ("--sites".equals(args[i])) {
                sitesFile = Path.of(args[++i]);
            } else {
                positional.add(args[i]);
            }
        }
        InProcessApp.Variant variant = InProcessApp.Variant.valueOf(positional.size() > 0 ? positional.get(0) : "log4j_noop");
        int requests = positional.size() > 1 ? Integer.parseInt(positional.get(1)) : 2000;
        int threads = positional.size() > 2 ? Integer.parseInt(positional.get(2)) : 1;
        if (ManagementFactory.getRuntimeMXBean().getInputArguments().stream().noneMatch("-XX:-UseTLAB"::equals)) {
            System.err.println("run with -XX:-UseTLAB: with TLABs JFR samples allocations instead of recording each");
        }
        jdk.jfr.FlightRecorder.getFlightRecorder(); // see the class comment: one-time definitions in the warm-up
        InProcessApp app = new InProcessApp(variant, "/hello", FilterOverheadBenchmark.Hello.class);
        Path file = Files.createTempFile("allocline-sites-", ".jfr");
        AtomicInteger named = new AtomicInteger();
        ExecutorService callers = Executors.newFixedThreadPool(threads, task -> new Thread(task, CALLER + named.getAndIncrement()));
        try {
            // C2 compiles Jersey's request path within a few thousand requests; the same threads serve both
            // phases, so each thread's first-use costs (thread-locals, ThreadLocalRandom) are not recorded.
            run(callers, app, threads, Math.max(30_000, 300 * threads), null);
            try (Recording r = new Recording()) {
                r.enable("jdk.ObjectAllocationOutsideTLAB").withStackTrace();
                run(callers, app, threads, requests, r);
                r.dump(file);
            }
        } finally {
            callers.shutdownNow();
            app.close();
        }
        Map<String, long[]> sites = new HashMap<>();
        java.util.Set<String> floorSites = new java.util.HashSet<>();
        long counted = 0;
        long floor = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            RecordedStackTrace stack = e.getStackTrace();
            if (stack == null || e.getThread() == null || e.getThread().getJavaName() == null
                    || !e.getThread().getJavaName().startsWith(CALLER)) {
                continue;
            }
            String site = all ? anySite(stack, frameTypes) : ownSite(stack);
            if (site == null) {
                continue;
            }
            long size = e.getLong("allocationSize");
            String key = site + "/" + e.getClass("objectClass").getName();
            long[] v = sites.computeIfAbsent(key, k -> new long[2]);
            v[0]++;
            v[1] += size;
            counted += size;
            if (!all && log4j2Between(stack)) {
                floorSites.add(key);
                floor += size;
            }
        }
        Files.delete(file);
        List<Map.Entry<String, long[]>> rows = new ArrayList<>(sites.entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]));
        rows.removeIf(en -> en.getValue()[1] * 10 < requests); // under 0.1 B per request: warm-up stragglers
        System.out.printf("%s, %d thread(s): %.1f B per request allocated by %s (%d requests)%n", variant, threads,
                counted / (double) requests, all ? "the callers" : "allocline's frames", requests);
        for (Map.Entry<String, long[]> en : rows) {
            System.out.printf("%8.1f B %5.2f per request  %s%s%n", en.getValue()[1] / (double) requests,
                    en.getValue()[0] / (double) requests, en.getKey(), floorSites.contains(en.getKey()) ? "  [log4j2]" : "");
        }
        if (!all) {
            System.out.printf("log4j2-floor %.1f%nallocline-own %.1f%ntotal %.1f%n", floor / (double) requests,
                    (counted - floor) / (double) requests, counted / (double) requests);
        }
        if (sitesFile != null) {
            try (PrintStream out = new PrintStream(Files.newOutputStream(sitesFile), false, StandardCharsets.UTF_8)) {
                for (Map.Entry<String, long[]> en : rows) {
                    out.printf("%s %.1f%n", en.getKey(), en.getValue()[1] / (double) requests);
                }
                if (!all) {
                    // rounded so that the first two add up to the third as printed
                    String f = String.format(java.util.Locale.ROOT, "%.1f", floor / (double) requests);
                    String t = String.format(java.util.Locale.ROOT, "%.1f", counted / (double) requests);
                    out.printf("log4j2-floor %s%nallocline-own %s%n", f, new java.math.BigDecimal(t)
                            .subtract(new java.math.BigDecimal(f)).toPlainString());
                }
                out.printf("total %.1f%n", counted / (double) requests);
            }
        }
    }

    /**
     * {@code requests} requests shared by the pool's {@code threads} callers, one task each (every task waits
     * for all to be ready, so no caller takes two); {@code r} started once all are ready.
     */
    private static void run(ExecutorService callers, InProcessApp app, int threads, int requests, Recording r)
            throws Exception {
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int share = requests / threads + (t < requests % threads ? 1 : 0);
            done.add(callers.submit(() -> {
                ready.countDown();
                go.await();
                for (int i = 0; i < share; i++) {
                    app.get();
                }
                return null;
            }));
        }
        ready.await();
        if (r != null) {
            r.start();
        }
        go.countDown();
        for (Future<?> f : done) {
            f.get();
        }
        if (r != null) {
            r.stop();
        }
    }

    /** Whether a Log4j2 frame lies between the allocating frame and the innermost allocline frame. */
    private static boolean log4j2Between(RecordedStackTrace stack) {
        for (RecordedFrame f : stack.getFrames()) {
            String type = f.getMethod().getType().getName();
            if (type.startsWith("dev.allocline.") && !type.startsWith("dev.allocline.benchmarks.")) {
                return false;
            }
            if (type.startsWith("org.apache.logging.log4j.")) {
                return true;
            }
        }
        return false;
    }

    /** The innermost allocline frame (benchmarks excluded), with the frame it called; null when there is none. */
    private static String ownSite(RecordedStackTrace stack) {
        return site(stack, type -> type.startsWith("dev.allocline.") && !type.startsWith("dev.allocline.benchmarks."), false);
    }

    /**
     * The innermost frame outside the JDK, with the frame it called (the top frame when all are the JDK's); with
     * {@code frameTypes}, also how the allocating frame ran ({@code Interpreted}, {@code JIT compiled},
     * {@code Inlined}): an allocation C2's escape analysis could remove shows up from the other two kinds.
     */
    private static String anySite(RecordedStackTrace stack, boolean frameTypes) {
        String s = site(stack, type -> !type.startsWith("java.") && !type.startsWith("jdk.") && !type.startsWith("sun."),
                frameTypes);
        return s != null ? s : site(stack, type -> true, frameTypes);
    }

    /** The innermost frame whose type {@code wanted} accepts, written {@code here(in:top)}; null when none is. */
    private static String site(RecordedStackTrace stack, Predicate<String> wanted, boolean frameTypes) {
        List<RecordedFrame> frames = stack.getFrames();
        if (frames.isEmpty()) {
            return null;
        }
        String top = frame(frames.get(0));
        String how = frameTypes ? "[" + frames.get(0).getType().replace(' ', '_') + "]" : "";
        for (RecordedFrame f : frames) {
            if (wanted.test(f.getMethod().getType().getName())) {
                String here = frame(f);
                return (top.equals(here) ? here : here + "(in:" + top + ")") + how;
            }
        }
        return null;
    }

    private static String frame(RecordedFrame f) {
        String type = f.getMethod().getType().getName();
        return type.substring(type.lastIndexOf('.') + 1) + "." + f.getMethod().getName() + ":" + f.getLineNumber();
    }
}
