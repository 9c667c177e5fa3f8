package dev.allocline.benchmarks;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Question (issue #21, item 1): where does a request's CPU time go with allocline's line, against the access log
 * it replaces, on a machine whose host makes throughput runs unreadable (rates moving 2-3x from one round to the
 * next, with and without recorded steal)?
 *
 * <p>All variants live in one JVM, each its own Jersey application handled in-process on the calling thread,
 * with one Log4j2 configuration (every line into the same buffered file, appender and pattern as
 * {@code log4j_file}). Rounds interleave short batches of every variant, in a rotating and alternating order, so
 * whatever the host does to the machine it does to all variants within a few milliseconds of each other; each
 * batch is timed in the calling thread's CPU time ({@code getCurrentThreadCpuTime}: on this kernel,
 * {@code CONFIG_PARAVIRT_TIME_ACCOUNTING}, time stolen by the hypervisor is not counted) and its bytes read
 * from the thread's allocation counter. The report gives, per variant, the median CPU time per request and
 * the bytes; and paired per round, the differences between variants with a distribution-free 95% interval of
 * the median difference (order statistics of the rounds' differences).
 * <pre>
 * java -Xms1g -Xmx1g -cp benchmarks/target/benchmarks.jar dev.allocline.benchmarks.CpuPerRequest \
 *     [ROUNDS [BATCH]] [--forks N] [--alone] [--variants a,b,...] [--warmup N] [--endpoint hello|example] [--out FILE]
 * </pre>
 * Defaults: 400 rounds of 500 requests, every variant of {@link #DEFAULT_VARIANTS}, 40,000 warm-up requests per
 * variant (interleaved as measured), one fork. Variants are {@code InProcessApp.Variant} names; only those that
 * log to a file or not at all are meaningful here (one Log4j2 configuration serves all). {@code --endpoint example}
 * serves the example service's JSON endpoint instead of the hello world ({@code GET /clusters/c-7/databases}, its
 * H2 query and Jackson, as {@code HttpServerMain ... example}; #39 item 5): a request there costs milliseconds, so
 * give it far fewer rounds, a smaller batch and warm-up (e.g. {@code 60 20 --warmup 2000}).
 *
 * <p>Forks: with {@code --forks N} the rounds run in N fresh JVMs one after the other (same java, JVM options and
 * class path), and the report pools their rounds and gives each fork's own median beside the pooled one. Within
 * one JVM the pairing makes the interval narrow (about ±5%), but the JIT compiles each JVM differently: five
 * separate runs of one build put allocline's line at 1.112-1.132 of the access log's CPU, further apart than
 * one run's interval says. A verdict rests on the forks' spread, not on one JVM's interval (as JMH's
 * {@code JMHSample_13_RunToRun} says of forks).
 *
 * <p>{@code --alone} runs every variant in JVMs of its own instead ({@code --forks N} of them per variant, fork f of
 * each variant one after the other, alternating the order): no profile of another variant in its JIT, at the price
 * of the pairing, which then only pairs rounds of JVMs that ran one after the other.
 *
 * <p>What could make it lie: the variants share one JVM (without {@code --alone}), so Jersey's code is compiled with every variant's
 * profile mixed in (a filter-chain call site that sees several filter classes is megamorphic here, and would
 * be mono- or bimorphic in a service with one of them): every extended variant pays a few nanoseconds more
 * per such site than it would alone. Work on other threads is not counted: garbage collection (see the
 * bytes instead), allocline's background sampler, JIT compilation; a synchronous request does all its work
 * on the caller. Cache effects between variants are real and shared: a batch runs after another variant's.
 * CPU time measures cost, not the latency or throughput a server would see under load. One fork's interval
 * ignores run-to-run variance (above).
 */
public final class CpuPerRequest {

    static final List<String> DEFAULT_VARIANTS = List.of("baseline", "jersey_events_only", "accounting_only",
            "accounting_no_context", "peer_access_log_file", "peer_access_log_id_file", "peer_wide_access_log_file", "log4j_file",
            "filter_log4j_file", "micrometer_sink", "peer_jersey_micrometer");

    /**
     * The comparisons reported, {variant, reference, what the difference is}, besides every variant against
     * Jersey alone; a pair is reported when both ran.
     */
    static final String[][] PAIRS = {
        {"accounting_only", "jersey_events_only", "allocline's accounting over the Jersey events it follows"},
        {"accounting_only", "accounting_no_context", "the request id in the logging context"},
        {"log4j_file", "accounting_only", "the line, encoded and written to the file"},
        {"log4j_file", "peer_access_log_file", "**issue #21 item 1**: allocline's line against the access log it replaces"},
        {"log4j_file", "peer_access_log_id_file", "**issue #39 item 2**: allocline's line against the realistic peer (access log + request id in the logging context)"},
        {"peer_access_log_id_file", "peer_access_log_file", "the request id in the logging context, for the access log"},
        {"peer_wide_access_log_file", "peer_access_log_file", "an access line as wide as allocline's, against the plain one"},
        {"log4j_file", "peer_wide_access_log_file", "allocline against a hand-written line of the same width"},
        {"filter_log4j_file", "peer_access_log_file", "the portable filter pair's line against the access log"},
        {"filter_log4j_file", "log4j_file", "the portable filter pair against the Feature"},
        {"micrometer_sink", "peer_jersey_micrometer", "**issue #21 item 2**: the Micrometer sink against Jersey's timer"},
    };

    private CpuPerRequest() {
    }

    public static void main(String[] args) throws Exception {
        List<String> positional = new ArrayList<>();
        List<String> names = DEFAULT_VARIANTS;
        Path out = null;
        Path raw = null;
        int forks = 1;
        int warmUp = 40_000;
        String endpoint = "hello";
        boolean alone = false;
        List<String> forkArgs = new ArrayList<>(); // what each fork is given: everything but --forks and --out
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--warmup")) {
                warmUp = Integer.parseInt(args[++i]);
                forkArgs.add(args[i - 1]);
                forkArgs.add(args[i]);
            } else if (args[i].equals("--variants")) {
                names = List.of(args[++i].split(","));
                forkArgs.add(args[i - 1]);
                forkArgs.add(args[i]);
            } else if (args[i].equals("--alone")) {
                alone = true;
            } else if (args[i].equals("--endpoint")) {
                endpoint = args[++i];
                if (!endpoint.equals("hello") && !endpoint.equals("example")) {
                    throw new IllegalArgumentException("--endpoint: hello or example, not " + endpoint);
                }
                forkArgs.add(args[i - 1]);
                forkArgs.add(args[i]);
            } else if (args[i].equals("--out")) {
                out = Path.of(args[++i]);
            } else if (args[i].equals("--raw")) {
                raw = Path.of(args[++i]);
            } else if (args[i].equals("--forks")) {
                forks = Integer.parseInt(args[++i]);
                if (forks < 1) {
                    throw new IllegalArgumentException("--forks must be at least 1, was " + forks);
                }
            } else {
                positional.add(args[i]);
                forkArgs.add(args[i]);
            }
        }
        int rounds = positional.size() > 0 ? Integer.parseInt(positional.get(0)) : 400;
        int batch = positional.size() > 1 ? Integer.parseInt(positional.get(1)) : 500;
        if (raw != null) { // a fork: the parent writes the report
            Files.writeString(raw, measure(names, rounds, batch, warmUp, endpoint).raw(names), StandardCharsets.UTF_8);
            return;
        }
        int n = names.size();
        double[][] cpu = new double[n][rounds * forks];
        double[][] bytes = new double[n][rounds * forks];
        String[] steal = new String[forks];
        long wall = 0;
        for (int f = 0; alone && f < forks; f++) {
            // each variant in JVMs of its own, fork f of every variant one after the other, the order alternating
            List<String> parts = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                int v = f % 2 == 0 ? k : n - 1 - k;
                List<String> one = new ArrayList<>();
                for (int i = 0; i < forkArgs.size(); i++) {
                    if (forkArgs.get(i).equals("--variants")) {
                        i++;
                    } else {
                        one.add(forkArgs.get(i));
                    }
                }
                one.add("--variants");
                one.add(names.get(v));
                Run run = fork(one, List.of(names.get(v)), rounds);
                System.arraycopy(run.cpu[0], 0, cpu[v], f * rounds, rounds);
                System.arraycopy(run.bytes[0], 0, bytes[v], f * rounds, rounds);
                parts.add(percent(run.steal));
                wall += run.wallNanos;
            }
            steal[f] = String.join("/", parts);
        }
        for (int f = 0; !alone && f < forks; f++) {
            Run run = forks == 1 ? measure(names, rounds, batch, warmUp, endpoint) : fork(forkArgs, names, rounds);
            for (int v = 0; v < n; v++) {
                System.arraycopy(run.cpu[v], 0, cpu[v], f * rounds, rounds);
                System.arraycopy(run.bytes[v], 0, bytes[v], f * rounds, rounds);
            }
            steal[f] = percent(run.steal);
            wall += run.wallNanos;
        }
        String report = report(names, cpu, bytes, rounds, forks, batch, wall, String.join(" ", args))
                + (alone ? String.format(Locale.ROOT, "%n**`--alone`: every variant ran in JVMs of its own** (%d per variant;"
                        + " fork f of each variant one after the other, the order alternating), so each JVM's JIT saw one"
                        + " variant's profile, as a service's does. A \"paired\" difference above pairs round r of the two"
                        + " variants' f-th JVMs, which ran one after the other, not interleaved: read the per-fork medians"
                        + " and their spread, not the pooled interval.%n", forks) : "")
                + String.format(Locale.ROOT, "%nHost steal over the measured rounds (`/proc/stat`)%s: %s. CPU time "
                        + "excludes it; a busy host still slows every variant (caches, memory), which the pairing "
                        + "cancels and the absolute figures do not.%n", forks > 1 ? ", per fork" : "",
                        String.join(", ", steal));
        System.out.print(report);
        if (out != null) {
            Files.writeString(out, report, StandardCharsets.UTF_8);
        }
    }

    private static String percent(double steal) {
        return Double.isNaN(steal) ? "unknown" : String.format(Locale.ROOT, "%.1f%%", steal);
    }

    /** One JVM's rounds: CPU and bytes per request of every variant in every round, and the host's steal. */
    static final class Run {
        final double[][] cpu;
        final double[][] bytes;
        final double steal;
        final long wallNanos;

        Run(double[][] cpu, double[][] bytes, double steal, long wallNanos) {
            this.cpu = cpu;
            this.bytes = bytes;
            this.steal = steal;
            this.wallNanos = wallNanos;
        }

        /** Lines {@code steal S}, {@code wall W}, then {@code cpu NAME v...} and {@code bytes NAME v...} per variant. */
        String raw(List<String> names) {
            StringBuilder b = new StringBuilder();
            b.append("steal ").append(steal).append('\n').append("wall ").append(wallNanos).append('\n');
            for (int v = 0; v < names.size(); v++) {
                b.append("cpu ").append(names.get(v));
                for (double x : cpu[v]) {
                    b.append(' ').append(x);
                }
                b.append("\nbytes ").append(names.get(v));
                for (double x : bytes[v]) {
                    b.append(' ').append(x);
                }
                b.append('\n');
            }
            return b.toString();
        }

        static Run parse(String raw, List<String> names, int rounds) {
            double[][] cpu = new double[names.size()][];
            double[][] bytes = new double[names.size()][];
            double steal = Double.NaN;
            long wall = 0;
            for (String line : raw.split("\n")) {
                String[] f = line.trim().split(" ");
                if (f[0].equals("steal")) {
                    steal = Double.parseDouble(f[1]);
                } else if (f[0].equals("wall")) {
                    wall = Long.parseLong(f[1]);
                } else if (f[0].equals("cpu") || f[0].equals("bytes")) {
                    double[] values = new double[f.length - 2];
                    for (int i = 2; i < f.length; i++) {
                        values[i - 2] = Double.parseDouble(f[i]);
                    }
                    if (values.length != rounds) {
                        throw new IllegalStateException("fork wrote " + values.length + " rounds of " + f[1]
                                + ", expected " + rounds);
                    }
                    (f[0].equals("cpu") ? cpu : bytes)[names.indexOf(f[1])] = values;
                }
            }
            for (int v = 0; v < names.size(); v++) {
                if (cpu[v] == null || bytes[v] == null) {
                    throw new IllegalStateException("fork wrote nothing for " + names.get(v));
                }
            }
            return new Run(cpu, bytes, steal, wall);
        }
    }

    /** Runs the measurement in a fresh JVM with this one's java, JVM options and class path. */
    private static Run fork(List<String> forkArgs, List<String> names, int rounds) throws Exception {
        Path raw = Files.createTempFile("allocline-cpu-fork-", ".txt");
        try {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(CpuPerRequest.class.getName());
            command.addAll(forkArgs);
            command.add("--raw");
            command.add(raw.toString());
            Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            int exit = p.waitFor();
            if (exit != 0) {
                throw new IllegalStateException("fork exited with " + exit + ": " + command);
            }
            return Run.parse(Files.readString(raw, StandardCharsets.UTF_8), names, rounds);
        } finally {
            Files.deleteIfExists(raw);
        }
    }

    private static Run measure(List<String> names, int rounds, int batch, int warmUp, String endpoint) throws Exception {
        int n = names.size();
        InProcessApp[] apps = new InProcessApp[n];
        boolean example = endpoint.equals("example");
        for (int v = 0; v < n; v++) {
            // the example's apps share its one in-memory database (seeded once: seeding skips a filled table)
            apps[v] = new InProcessApp(InProcessApp.Variant.valueOf(names.get(v)), example ? "/clusters/c-7/databases" : "/hello",
                    example ? HttpServerMain.exampleEndpoint() : new Object[] {FilterOverheadBenchmark.Hello.class});
        }
        // One configuration for all: each app's construction configured Log4j2 for its own variant.
        InProcessApp.configureLog4j(InProcessApp.Variant.log4j_file);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        // Warm-up: every variant through C2, interleaved as measured (a Jersey request needs ~10^4 to compile).
        for (int w = 0; w < 40; w++) {
            for (InProcessApp app : apps) {
                for (int i = 0; i < warmUp / 40; i++) {
                    app.get();
                }
            }
        }
        double[][] cpu = new double[n][rounds];
        double[][] bytes = new double[n][rounds];
        long[] cpuBefore = Suite.cpuTimes();
        long wallStart = System.nanoTime();
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < n; k++) {
                // rotate the first variant every round and reverse every other round: no variant always runs
                // first, or always after the same one
                int step = r % 2 == 0 ? k : n - 1 - k;
                int v = (r + step) % n;
                long cpu0 = threads.getCurrentThreadCpuTime();
                long bytes0 = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < batch; i++) {
                    apps[v].get();
                }
                long bytes1 = threads.getCurrentThreadAllocatedBytes();
                long cpu1 = threads.getCurrentThreadCpuTime();
                cpu[v][r] = (cpu1 - cpu0) / (double) batch;
                bytes[v][r] = (bytes1 - bytes0) / (double) batch;
            }
        }
        long wall = System.nanoTime() - wallStart;
        double steal = Suite.stealPercent(cpuBefore, Suite.cpuTimes());
        for (InProcessApp app : apps) {
            app.close();
        }
        return new Run(cpu, bytes, steal, wall);
    }

    /**
     * The report of {@code forks} runs of {@code rounds} rounds each, fork f's rounds at {@code [f * rounds,
     * (f + 1) * rounds)} of every array: pooled medians and intervals, and with more than one fork each fork's own
     * median.
     */
    static String report(List<String> names, double[][] cpu, double[][] bytes, int rounds, int forks, int batch,
            long wallNanos, String args) {
        StringBuilder b = new StringBuilder();
        b.append(forks == 1 ? "# CPU time per request, in-process, all variants interleaved in one JVM\n\n"
                : "# CPU time per request, in-process, all variants interleaved in one JVM per fork\n\n");
        b.append(String.format(Locale.ROOT, "`java %s -cp benchmarks/target/benchmarks.jar dev.allocline.benchmarks."
                + "CpuPerRequest%s`: %s%d rounds of %d requests per variant, %.0f s measured; %s %s.%n%n",
                String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()), args.isEmpty() ? "" : " " + args,
                forks == 1 ? "" : forks + " forks of ", rounds, batch, wallNanos / 1e9, System.getProperty("java.vm.name"),
                System.getProperty("java.version")));
        String perFork = forks == 1 ? "" : " per fork |";
        String perForkRule = forks == 1 ? "" : "---|";
        b.append("| variant | CPU per request, median (ns) | 95% interval of the median | bytes per request |" + perFork
                + "\n");
        b.append("|---|---|---|---|" + perForkRule + "\n");
        for (int v = 0; v < names.size(); v++) {
            double[] iv = medianInterval(cpu[v]);
            b.append(String.format(Locale.ROOT, "| `%s` | %.0f | %.0f-%.0f | %.0f |", names.get(v), median(cpu[v]),
                    iv[0], iv[1], median(bytes[v])));
            if (forks > 1) {
                b.append(' ').append(perFork(cpu[v], rounds, forks, "%.0f")).append(" |");
            }
            b.append('\n');
        }
        b.append("\nPaired by round (each difference from batches run milliseconds apart), median difference in ns of "
                + "CPU per request with its distribution-free 95% interval, and the median ratio"
                + (forks == 1 ? "" : " (pooled over the forks' rounds, then each fork's own median ratio)") + ":\n\n");
        b.append("| variant | reference | what | difference (ns) | 95% interval | ratio | bytes difference |"
                + (forks == 1 ? "" : " ratio per fork |") + "\n");
        b.append("|---|---|---|---|---|---|---|" + perForkRule + "\n");
        List<String[]> pairs = new ArrayList<>();
        for (String name : names) {
            if (!name.equals("baseline") && names.contains("baseline")) {
                pairs.add(new String[] {name, "baseline", "over Jersey alone"});
            }
        }
        for (String[] pair : PAIRS) {
            if (names.contains(pair[0]) && names.contains(pair[1])) {
                pairs.add(pair);
            }
        }
        for (String[] pair : pairs) {
            double[] v = cpu[names.indexOf(pair[0])];
            double[] ref = cpu[names.indexOf(pair[1])];
            double[] vb = bytes[names.indexOf(pair[0])];
            double[] refb = bytes[names.indexOf(pair[1])];
            int all = rounds * forks;
            double[] diff = new double[all];
            double[] ratio = new double[all];
            double[] bdiff = new double[all];
            for (int r = 0; r < all; r++) {
                diff[r] = v[r] - ref[r];
                ratio[r] = v[r] / ref[r];
                bdiff[r] = vb[r] - refb[r];
            }
            double[] iv = medianInterval(diff);
            b.append(String.format(Locale.ROOT, "| `%s` | `%s` | %s | %+.0f | %+.0f to %+.0f | %.3f | %+.0f |", pair[0],
                    pair[1], pair[2], median(diff), iv[0], iv[1], median(ratio), median(bdiff)));
            if (forks > 1) {
                b.append(' ').append(perFork(ratio, rounds, forks, "%.3f")).append(" |");
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** Each fork's median of {@code values}, in fork order, formatted with {@code format}, comma-separated. */
    private static String perFork(double[] values, int rounds, int forks, String format) {
        List<String> medians = new ArrayList<>();
        for (int f = 0; f < forks; f++) {
            medians.add(String.format(Locale.ROOT, format, median(Arrays.copyOfRange(values, f * rounds, (f + 1) * rounds))));
        }
        return String.join(", ", medians);
    }

    static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    /**
     * A distribution-free interval of at least 95% for the median of the population {@code values} were drawn
     * from: the k-th smallest and k-th largest value, k the largest with P(Binomial(n, 1/2) < k) <= 2.5%.
     * Assumes only that the values are independent draws from one distribution; for fewer than 6 values no such
     * interval exists and the whole range is returned.
     */
    static double[] medianInterval(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        int k = 0; // 0-based index of the lower bound
        double cumulative = 0; // P(Binomial(n, 1/2) <= j)
        double logTerm = n * Math.log(0.5); // log P(X = 0), in logs: 0.5^n underflows past n = 1074
        for (int j = 0; j < n / 2; j++) {
            cumulative += Math.exp(logTerm);
            if (cumulative > 0.025) {
                break;
            }
            k = j + 1;
            logTerm += Math.log(n - j) - Math.log(j + 1);
        }
        if (k == 0) {
            return new double[] {s[0], s[n - 1]};
        }
        return new double[] {s[k - 1], s[n - k]};
    }
}
