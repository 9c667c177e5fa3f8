package dev.allocline.benchmarks;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
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
 * requests on the calling thread with JFR and attributes each to the innermost allocline frame on its
 * stack (what allocline allocates itself or asks another library for, e.g. Log4j2's
 * {@code ThreadContext}). Run with TLABs off, so that every allocation is a JFR event rather than a
 * sample: {@code java -XX:-UseTLAB -cp benchmarks/target/benchmarks.jar
 * dev.allocline.benchmarks.WhereTheBytesGo accounting_only}.
 *
 * <p>What could make it lie: without TLABs the JIT still eliminates the allocations escape analysis
 * removes, as in production, but which ones it removes can differ from one JVM to the next (the
 * Jersey internals most); the sites of allocline's own objects are stable. Allocations on other
 * threads (none for a synchronous request) are not counted.
 */
public final class WhereTheBytesGo {

    private WhereTheBytesGo() {
    }

    public static void main(String[] args) throws Exception {
        InProcessApp.Variant variant = InProcessApp.Variant.valueOf(args.length > 0 ? args[0] : "log4j_noop");
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        if (ManagementFactory.getRuntimeMXBean().getInputArguments().stream().noneMatch("-XX:-UseTLAB"::equals)) {
            System.err.println("run with -XX:-UseTLAB: with TLABs JFR samples allocations instead of recording each");
        }
        InProcessApp app = new InProcessApp(variant, "/hello", FilterOverheadBenchmark.Hello.class);
        for (int i = 0; i < 30_000; i++) { // C2 compiles Jersey's request path within a few thousand
            app.get();
        }
        Path file = Files.createTempFile("allocline-sites-", ".jfr");
        try (Recording r = new Recording()) {
            r.enable("jdk.ObjectAllocationOutsideTLAB").withStackTrace();
            r.start();
            for (int i = 0; i < requests; i++) {
                app.get();
            }
            r.stop();
            r.dump(file);
        } finally {
            app.close();
        }
        Map<String, long[]> sites = new LinkedHashMap<>();
        String thread = Thread.currentThread().getName();
        long ours = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            RecordedStackTrace stack = e.getStackTrace();
            if (stack == null || e.getThread() == null || !thread.equals(e.getThread().getJavaName())) {
                continue;
            }
            String site = site(stack);
            if (site == null) {
                continue;
            }
            long size = e.getLong("allocationSize");
            long[] v = sites.computeIfAbsent(e.getClass("objectClass").getName() + " @ " + site, k -> new long[2]);
            v[0]++;
            v[1] += size;
            ours += size;
        }
        Files.delete(file);
        System.out.printf("%s: %.1f B per request allocated by allocline's frames (%d requests)%n", variant,
                ours / (double) requests, requests);
        sites.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1]))
                .filter(en -> en.getValue()[1] * 10 >= requests) // under 0.1 B per request: warm-up stragglers
                .forEach(en -> System.out.printf("%8.1f B %5.2f per request  %s%n", en.getValue()[1] / (double) requests,
                        en.getValue()[0] / (double) requests, en.getKey()));
    }

    /** The innermost allocline frame (benchmarks excluded), with the frame it called when that is not itself. */
    private static String site(RecordedStackTrace stack) {
        String top = null;
        for (RecordedFrame f : stack.getFrames()) {
            String type = f.getMethod().getType().getName();
            String here = type.substring(type.lastIndexOf('.') + 1) + "." + f.getMethod().getName() + ":" + f.getLineNumber();
            if (top == null) {
                top = here;
            }
            if (type.startsWith("dev.allocline.") && !type.startsWith("dev.allocline.benchmarks.")) {
                return top.equals(here) ? here : here + " (in " + top + ")";
            }
        }
        return null;
    }
}
