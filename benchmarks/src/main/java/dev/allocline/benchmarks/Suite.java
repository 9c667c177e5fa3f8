package dev.allocline.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the whole suite on the current JDK at every thread count and writes, into the output
 * directory, the raw JMH JSON ({@code jmh-jdk<N>.json}), the machine it ran on
 * ({@code env-jdk<N>.properties}), then regenerates the report from every JSON there.
 *
 * <p>{@code quick} (under 10 minutes, for checking a change) or {@code full} (what is published).
 * Usage: {@code Suite full|quick [outputDir]}.
 */
public final class Suite {

    /** JMH settings for one benchmark class. */
    record Settings(int warmups, TimeValue warmupTime, int iterations, TimeValue iterationTime, int forks) {
    }

    /**
     * Settings of one mode: the thread counts of the reads, of the filter and of the incident, and the JMH
     * settings of each.
     */
    record Mode(String name, List<Integer> readThreads, List<Integer> filterThreads, List<Integer> incidentThreads,
                Settings reads, Settings filter, Settings incident) {

        /** Every thread count of the run, in order. */
        List<Integer> threads() {
            java.util.TreeSet<Integer> all = new java.util.TreeSet<>(readThreads);
            all.addAll(filterThreads);
            all.addAll(incidentThreads);
            return List.copyOf(all);
        }
    }

    /*
     * Reads are native or volatile calls and settle within a second. A whole Jersey request needs
     * 8-16 s of warm-up on this 2-core machine before its time stops falling (JIT threads compete
     * with the measured ones), so the filter runs get ten warm-up seconds; measured side by side,
     * the variants then differ by more than their error.
     */
    // Verdicts rest on the reads and the filter runs: three forks each, so run-to-run variance shows in the
    // error (JMHSample_13_RunToRun); the incident run is illustrative and keeps one.
    // A full run takes ~30 minutes per JDK on 2 cores: the reads at four thread counts from 1 to 100 (the
    // verdict's "every thread count"), the whole request at 1 (the targets) and 100 (oversubscribed).
    static final Mode FULL = new Mode("full", List.of(1, 4, 16, 100), List.of(1, 100), List.of(1),
            new Settings(2, TimeValue.milliseconds(500), 3, TimeValue.milliseconds(500), 3),
            new Settings(10, TimeValue.seconds(1), 5, TimeValue.seconds(1), 3),
            new Settings(3, TimeValue.seconds(2), 3, TimeValue.seconds(2), 1));
    static final Mode QUICK = new Mode("quick", List.of(1, 4, 16, 100), List.of(1, 4), List.of(1),
            new Settings(1, TimeValue.milliseconds(500), 2, TimeValue.milliseconds(500), 1),
            new Settings(2, TimeValue.seconds(1), 2, TimeValue.seconds(1), 1),
            new Settings(1, TimeValue.seconds(1), 2, TimeValue.seconds(1), 1));

    private Suite() {
    }

    public static void main(String[] args) throws Exception {
        Mode mode = args.length > 0 && args[0].equals("quick") ? QUICK : FULL;
        Path out = Path.of(args.length > 1 ? args[1] : (mode == QUICK ? "results/quick" : "results"));
        Files.createDirectories(out);
        int jdk = Runtime.version().feature();
        String loadBefore = awaitIdle();
        double before = oneMinuteLoad(loadBefore);
        if (mode == FULL && before > LOADED) {
            System.err.println("the machine is busy (load average " + loadBefore + "): a published run needs it idle; "
                    + "the run goes on and its report will say it is not publishable");
        }
        Path work = Files.createTempDirectory(out.toAbsolutePath(), ".jmh-");
        ArrayNode all = new ObjectMapper().createArrayNode();
        long t0 = System.nanoTime();
        long[] cpuBefore = cpuTimes();
        for (int threads : mode.threads()) {
            if (mode.readThreads().contains(threads)) {
                run(mode.reads(), work, all, threads, CounterReadBenchmark.class, "idleThreads", "0", "500");
            }
            if (mode.filterThreads().contains(threads)) {
                run(mode.filter(), work, all, threads, FilterOverheadBenchmark.class, null);
            }
            if (mode.incidentThreads().contains(threads)) {
                run(mode.incident(), work, all, threads, IncidentBenchmark.class, null);
            }
        }
        if (jdk >= 21) {
            // The virtual-thread agent's cost (issue #19): its hooks alone, then whole pairs in rounds of every variant.
            VirtualThreadYieldBenchmark.runAll(VirtualThreadPingPongBenchmark.findAgent(),
                    Path.of("benchmarks", "target", "benchmarks.jar"), 2 * mode.filter().forks(), // rounds
                    out.resolve("vt-agent-jdk" + jdk + ".json"), work);
        }
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(out.resolve("jmh-jdk" + jdk + ".json").toFile(), all);
        double steal = stealPercent(cpuBefore, cpuTimes());
        if (steal > STOLEN) {
            System.err.printf("the host took %.1f%% of this machine's CPU time during the run (steal): its report will say "
                    + "it is not publishable%n", steal);
        }
        writeEnvironment(out.resolve("env-jdk" + jdk + ".properties"), mode, t0, loadBefore, before > LOADED, steal);
        deleteTree(work);
        Report.write(out);
        System.out.println("wrote " + out.resolve("REPORT.md") + " (" + mode.name() + ", JDK " + jdk + ", "
                + TimeUnit.NANOSECONDS.toMinutes(System.nanoTime() - t0) + " min)");
    }

    private static void run(Settings mode, Path work, ArrayNode all, int threads, Class<?> benchmark, String param,
                            String... values) throws RunnerException, IOException {
        Path json = work.resolve(benchmark.getSimpleName() + "-t" + threads + ".json");
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include("^" + benchmark.getName().replace(".", "\\.") + "\\.")
                .threads(threads)
                .forks(mode.forks())
                .warmupIterations(mode.warmups()).warmupTime(mode.warmupTime())
                .measurementIterations(mode.iterations()).measurementTime(mode.iterationTime())
                .jvmArgsAppend("-Xms1g", "-Xmx1g", "-Djava.io.tmpdir=" + work.toAbsolutePath())
                .resultFormat(ResultFormatType.JSON)
                .result(json.toString());
        if (param != null) {
            o.param(param, values);
        }
        if (benchmark != CounterReadBenchmark.class) {
            o.addProfiler(GCProfiler.class); // bytes allocated per request: precise where time is noisy
        }
        new Runner(o.build()).run();
        JsonNode results = new ObjectMapper().readTree(json.toFile());
        results.forEach(all::add);
    }

    /**
     * A share of CPU time (percent) taken by the hypervisor for other guests ("steal") during the run above which the
     * run is not publishable: a virtual machine is never quiet while its host is busy, whatever runs inside it (an
     * aborted HTTP run on this machine saw 57% while it ran).
     */
    static final double STOLEN = 5.0;

    /** /proc/stat's first line: {steal, total} in clock ticks; null where there is none (not Linux). */
    static long[] cpuTimes() {
        String l = readFirstLine(Path.of("/proc/stat"));
        String[] f = l.trim().split("\\s+");
        if (f.length < 9 || !f[0].equals("cpu")) {
            return null;
        }
        try {
            long total = 0;
            for (int i = 1; i <= 8; i++) {
                total += Long.parseLong(f[i]);
            }
            return new long[] {Long.parseLong(f[8]), total};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Stolen CPU time between two {@link #cpuTimes()} readings, in percent of all CPU time; NaN when unknown. */
    static double stealPercent(long[] before, long[] after) {
        if (before == null || after == null || after[1] <= before[1]) {
            return Double.NaN;
        }
        return 100.0 * (after[0] - before[0]) / (after[1] - before[1]);
    }

    /** A one-minute load average above this, before a run, marks the run as not publishable (2 cores). */
    static final double LOADED = 0.5;

    /**
     * Waits, up to five minutes, for the one-minute load average to fall under {@link #LOADED}: the build
     * that precedes a run (and whatever ran just before) must not count as load. Returns the load
     * average when the wait ended; a machine still busy then is reported, not waited for forever.
     */
    static String awaitIdle() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        String load = loadAverage();
        while (!(oneMinuteLoad(load) <= LOADED) && System.nanoTime() < deadline) {
            System.out.println("waiting for the machine to settle: load average " + load);
            Thread.sleep(10_000);
            load = loadAverage();
        }
        return load;
    }

    static String loadAverage() {
        String l = readFirstLine(Path.of("/proc/loadavg"));
        String[] f = l.split("\\s+");
        return f.length >= 3 ? f[0] + " " + f[1] + " " + f[2] : l;
    }

    static double oneMinuteLoad(String loadAverage) {
        try {
            return Double.parseDouble(loadAverage.split(" ")[0]);
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    static void writeEnvironment(Path file, Mode mode, long t0, String loadBefore, boolean loaded, double steal)
            throws IOException {
        Properties p = new Properties();
        p.setProperty("load.before", loadBefore);
        p.setProperty("load.after", loadAverage());
        p.setProperty("loaded", Boolean.toString(loaded || steal > STOLEN));
        if (!Double.isNaN(steal)) {
            p.setProperty("steal.percent", String.format(java.util.Locale.ROOT, "%.1f", steal));
        }
        p.setProperty("mode", mode.name());
        p.setProperty("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        p.setProperty("memory.bytes", Long.toString(os.getTotalMemorySize()));
        p.setProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        p.setProperty("cpu", cpuModel());
        p.setProperty("java.version", System.getProperty("java.version"));
        p.setProperty("java.vm", System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version"));
        p.setProperty("clocksource", readFirstLine(Path.of("/sys/devices/system/clocksource/clocksource0/current_clocksource")));
        p.setProperty("threads", mode.threads().toString());
        p.setProperty("run.finished", Instant.now().toString());
        p.setProperty("run.minutes", Long.toString(TimeUnit.NANOSECONDS.toMinutes(System.nanoTime() - t0)));
        try (var w = Files.newBufferedWriter(file)) {
            p.store(w, "machine and settings of the JMH run");
        }
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return "unknown";
    }

    private static String readFirstLine(Path p) {
        try {
            return Files.readAllLines(p).get(0).trim();
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
