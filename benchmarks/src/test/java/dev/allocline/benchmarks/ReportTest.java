package dev.allocline.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's verdicts are computed from the JSON, and say which read or thread count breaks a target. */
class ReportTest {

    private static final ObjectMapper OM = new ObjectMapper();

    private static ObjectNode row(String cls, String method, int threads, String paramKey, String paramValue, double score) {
        ObjectNode n = OM.createObjectNode();
        n.put("benchmark", "dev.allocline.benchmarks." + cls + "." + method);
        n.put("threads", threads);
        n.put("forks", 1);
        n.put("warmupIterations", 1);
        n.put("warmupTime", "1 s");
        n.put("measurementIterations", 1);
        n.put("measurementTime", "1 s");
        if (paramKey != null) {
            n.putObject("params").put(paramKey, paramValue);
        }
        ObjectNode pm = n.putObject("primaryMetric");
        pm.put("score", score);
        pm.put("scoreError", 1.0);
        pm.put("scoreUnit", "ns/op");
        return n;
    }

    private static void reads(ArrayNode a, int t, String idle, double current, double total) {
        a.add(row("CounterReadBenchmark", "nanoTime", t, "idleThreads", idle, 20));
        a.add(row("CounterReadBenchmark", "currentThreadAllocatedBytes", t, "idleThreads", idle, 20));
        a.add(row("CounterReadBenchmark", "libraryCurrentThreadAllocatedBytes", t, "idleThreads", idle, current));
        a.add(row("CounterReadBenchmark", "librarySampledTotalAllocatedBytes", t, "idleThreads", idle, total));
        a.add(row("CounterReadBenchmark", "totalThreadAllocatedBytesDirect", t, "idleThreads", idle,
                idle.equals("0") ? 100 : 3000));
    }

    private static void filter(ArrayNode a, int t, double baseline, double noop) {
        a.add(row("FilterOverheadBenchmark", "helloWorld", t, "variant", "baseline", baseline));
        a.add(row("FilterOverheadBenchmark", "helloWorld", t, "variant", "accounting_only", baseline * 1.01));
        a.add(row("FilterOverheadBenchmark", "helloWorld", t, "variant", "log4j_noop", noop));
    }

    private static String report(Path dir, ArrayNode rows) throws Exception {
        OM.writeValue(dir.resolve("jmh-jdk17.json").toFile(), rows);
        Files.writeString(dir.resolve("env-jdk17.properties"), "cores=2\nmode=full\nthreads=[1, 100]\n");
        Report.write(dir);
        return Files.readString(dir.resolve("REPORT.md"));
    }

    @Test
    void cheapReadsAndASmallFeaturePass(@TempDir Path dir) throws Exception {
        ArrayNode a = OM.createArrayNode();
        for (int t : new int[] {1, 100}) {
            reads(a, t, "0", 25, 1);
            reads(a, t, "500", 26, 1.1);
            filter(a, t, 10_000, 10_300);
        }
        String md = report(dir, a);
        assertTrue(md.contains("`nanoTime` floor at every thread count: PASS"), md);
        assertTrue(md.contains("500 idle live threads: PASS"), md);
        assertTrue(md.contains("hello-world request in-process: PASS**"), md);
        assertTrue(Files.exists(dir.resolve("reads-jdk17-idle0.svg")));
        assertTrue(Files.readString(dir.resolve("filter-overhead-jdk17.svg")).startsWith("<svg"));
    }

    @Test
    void aSlowReadOrAnExpensiveFeatureFailsAndSaysWhere(@TempDir Path dir) throws Exception {
        ArrayNode a = OM.createArrayNode();
        reads(a, 1, "0", 25, 1);
        reads(a, 1, "500", 25, 1);
        reads(a, 2, "0", 25, 1);
        reads(a, 2, "500", 200, 5); // 10x nanoTime at 2 threads, and the sampled read grew 5x
        filter(a, 1, 10_000, 10_300);
        filter(a, 2, 10_000, 12_000);
        String md = report(dir, a);
        assertTrue(md.contains("every thread count: FAIL"), md);
        assertTrue(md.contains("libraryCurrentThreadAllocatedBytes @2t/500 idle"), md);
        assertTrue(md.contains("500 idle live threads: FAIL"), md);
        assertTrue(md.contains("hello-world request in-process: FAIL** — worst 20.0% at 2 thread(s)"), md);
    }

    @Test
    void oversubscribedThreadCountsDoNotDecideTheVerdicts(@TempDir Path dir) throws Exception {
        ArrayNode a = OM.createArrayNode();
        reads(a, 1, "0", 25, 1);
        reads(a, 1, "500", 25, 1);
        reads(a, 100, "0", 25, 1);
        reads(a, 100, "500", 25, 30); // a ~1 ns read under 100 callers on 2 cores: scheduling noise
        filter(a, 1, 10_000, 10_300);
        filter(a, 100, 10_000, 30_000);
        String md = report(dir, a);
        assertTrue(md.contains("500 idle live threads: PASS"), md);
        assertTrue(md.contains("hello-world request in-process: PASS**"), md);
        assertTrue(md.contains("at the 1 oversubscribed thread counts the difference is within the error in 0"), md);
    }

    @Test
    void missingDataIsNoDataNeverPass(@TempDir Path dir) throws Exception {
        ArrayNode a = OM.createArrayNode();
        // nanoTime and the sampled read only: the per-request read at 1 thread was not measured, the
        // 500-idle runs are missing, and the Feature's variant has no baseline.
        a.add(row("CounterReadBenchmark", "nanoTime", 1, "idleThreads", "0", 20));
        a.add(row("CounterReadBenchmark", "librarySampledTotalAllocatedBytes", 1, "idleThreads", "0", 1));
        a.add(row("FilterOverheadBenchmark", "helloWorld", 1, "variant", "log4j_noop", 10_300));
        String md = report(dir, a);
        assertTrue(md.contains("every thread count: NO DATA"), md);
        assertTrue(md.contains("500 idle live threads: NO DATA"), md);
        assertTrue(!md.contains("PASS"), md);
    }

    @Test
    void aDifferenceWhoseErrorStraddlesTheTargetIsInconclusive(@TempDir Path dir) throws Exception {
        ArrayNode a = OM.createArrayNode();
        reads(a, 1, "0", 25, 1);
        reads(a, 1, "500", 25, 1);
        a.add(row("FilterOverheadBenchmark", "helloWorld", 1, "variant", "baseline", 10_000));
        a.add(row("FilterOverheadBenchmark", "helloWorld", 1, "variant", "accounting_only", 10_400));
        // 4% over baseline, but known only within +-3%: the interval 1%-7% straddles the 5% target.
        ((ObjectNode) a.get(a.size() - 1).get("primaryMetric")).put("scoreError", 300.0);
        a.add(row("FilterOverheadBenchmark", "helloWorld", 1, "variant", "log4j_noop", 10_400));
        String md = report(dir, a);
        assertTrue(md.contains("Feature (`accounting_only`) ≤ 5.0% of a hello-world request in-process: INCONCLUSIVE"), md);
        assertTrue(md.contains("Feature (`log4j_noop`) ≤ 5.0% of a hello-world request in-process: PASS"), md);
    }

    @Test
    void aRunOnABusyMachineSaysItIsNotPublishable(@TempDir Path dir) throws Exception {
        ArrayNode a = OM.createArrayNode();
        reads(a, 1, "0", 25, 1);
        OM.writeValue(dir.resolve("jmh-jdk17.json").toFile(), a);
        Files.writeString(dir.resolve("env-jdk17.properties"),
                "cores=2\nmode=full\nload.before=1.93 1.20 0.80\nload.after=2.10 1.50 0.90\nloaded=true\n");
        Report.write(dir);
        String md = Files.readString(dir.resolve("REPORT.md"));
        assertTrue(md.contains("Load average (1/5/15 min) before the run: 1.93 1.20 0.80"), md);
        assertTrue(md.contains("not publishable"), md);
    }

    @Test
    void aRunWhoseHostTookItsCpuSaysHowMuchAndThatItIsNotPublishable(@TempDir Path dir) throws Exception {
        ArrayNode a = OM.createArrayNode();
        reads(a, 1, "0", 25, 1);
        OM.writeValue(dir.resolve("jmh-jdk17.json").toFile(), a);
        // Suite's own environment file for a run started on an idle machine whose host took 12% of its CPU time
        long[] before = {1_000, 100_000};
        long[] after = {1_000 + 2_400, 100_000 + 20_000};
        double steal = Suite.stealPercent(before, after);
        assertEquals(12.0, steal, 1e-9);
        Suite.writeEnvironment(dir.resolve("env-jdk17.properties"), Suite.FULL, System.nanoTime(), "0.10 0.20 0.30", false,
                steal);
        Report.write(dir);
        String md = Files.readString(dir.resolve("REPORT.md"));
        assertTrue(md.contains("CPU time the host gave to other guests during the run (steal): 12.0%."), md);
        assertTrue(md.contains("not publishable"), md);

        // ...and one whose host took 2% (under the 5% limit) stays publishable, with its figure said all the same
        Suite.writeEnvironment(dir.resolve("env-jdk17.properties"), Suite.FULL, System.nanoTime(), "0.10 0.20 0.30", false,
                Suite.stealPercent(before, new long[] {1_000 + 400, 100_000 + 20_000}));
        Report.write(dir);
        md = Files.readString(dir.resolve("REPORT.md"));
        assertTrue(md.contains("(steal): 2.0%."), md);
        assertFalse(md.contains("not publishable"), md);
    }

    @Test
    void stealIsReadFromProcStatOrUnknown() throws Exception {
        Path stat = Path.of("/proc/stat");
        long[] now = Suite.cpuTimes();
        if (Files.exists(stat)) { // Linux: the 8th number of the "cpu" line, read between two direct reads of it
            long before = Long.parseLong(Files.readAllLines(stat).get(0).trim().split("\\s+")[8]);
            now = Suite.cpuTimes();
            long after = Long.parseLong(Files.readAllLines(stat).get(0).trim().split("\\s+")[8]);
            assertTrue(now != null && before <= now[0] && now[0] <= after && now[1] >= now[0],
                    before + " " + java.util.Arrays.toString(now) + " " + after);
        }
        assertTrue(Double.isNaN(Suite.stealPercent(null, now)));
        assertTrue(Double.isNaN(Suite.stealPercent(new long[] {5, 10}, new long[] {5, 10})));
    }

    private static ObjectNode withBytes(ObjectNode row, double bytes, double error) {
        ObjectNode m = row.putObject("secondaryMetrics").putObject("gc.alloc.rate.norm");
        m.put("score", bytes);
        m.put("scoreError", error);
        return row;
    }

    @Test
    void theIssuesTargetsAreJudgedOnDifferencesOfVariantsWithTheirErrors(@TempDir Path dir) throws Exception {
        ArrayNode a = OM.createArrayNode();
        reads(a, 1, "0", 25, 1);
        reads(a, 1, "500", 25, 1);
        a.add(withBytes(row("FilterOverheadBenchmark", "helloWorld", 1, "variant", "baseline", 10_000), 21_000, 5));
        a.add(withBytes(row("FilterOverheadBenchmark", "helloWorld", 1, "variant", "jersey_events_only", 10_200), 21_600, 5));
        // accounting: +200 B within +-10 (PASS under 256); +100 ns = 1% of the baseline (PASS under 5%)
        a.add(withBytes(row("FilterOverheadBenchmark", "helloWorld", 1, "variant", "accounting_only", 10_300), 21_800, 5));
        // line: +500 B, but within +-20 B: 480-520 straddles 512 (INCONCLUSIVE)
        a.add(withBytes(row("FilterOverheadBenchmark", "helloWorld", 1, "variant", "log4j_noop", 10_500), 22_300, 15));
        // peers: micrometer clearly dearer in time and bytes; LoggingFeature cheaper in bytes, same time within the errors
        a.add(withBytes(row("FilterOverheadBenchmark", "helloWorld", 1, "variant", "peer_jersey_micrometer", 11_000), 25_000, 5));
        a.add(withBytes(row("FilterOverheadBenchmark", "helloWorld", 1, "variant", "peer_logging_feature", 10_501), 22_000, 5));
        String md = report(dir, a);
        assertTrue(md.contains("accounting (`accounting_only` − `jersey_events_only`) ≤ 256 B per request: PASS — 200 B"), md);
        assertTrue(md.contains("accounting ≤ 5.0% of the request's time: PASS"), md);
        assertTrue(md.contains("Log4j2 line (`log4j_noop` − `accounting_only`) ≤ 512 B per request: INCONCLUSIVE — 500 B"), md);
        assertTrue(md.contains("cheaper than `peer_jersey_micrometer`: time PASS"), md);
        assertTrue(md.contains("cheaper than `peer_jersey_micrometer`: time PASS (−500.0 ns, −502.0 ns to −498.0 ns within the errors); bytes PASS"), md);
        assertTrue(md.contains("cheaper than `peer_logging_feature`: time INCONCLUSIVE"), md);
        assertTrue(md.contains("bytes FAIL (+300 B"), md);
    }

    private static ObjectNode agentRow(String variant, String counted, int round, double score, double error) {
        ObjectNode n = row("VirtualThreadYieldBenchmark", "yields", 1, "counted", counted, score);
        ((ObjectNode) n.get("primaryMetric")).put("scoreError", error);
        n.putArray("jvmArgs").add("-Djdk.virtualThreadScheduler.parallelism=1").add("-javaagent:/x/y/allocline-agent.jar");
        n.put(VirtualThreadYieldBenchmark.VARIANT_FIELD, variant);
        n.put(VirtualThreadYieldBenchmark.ROUND_FIELD, round);
        return n;
    }

    private static ObjectNode hookRow(String variant, String slot, double score, double error) {
        ObjectNode n = row("VirtualThreadHookBenchmark", "pair", 1, "slot", slot, score);
        ((ObjectNode) n.get("primaryMetric")).put("scoreError", error);
        n.putArray("jvmArgs").add("-javaagent:/x/y/allocline-agent.jar");
        n.put(VirtualThreadYieldBenchmark.VARIANT_FIELD, variant);
        return n;
    }

    /** Hooks costing {@code hit} ± {@code error} per pair, and two rounds of whole pairs drifting by 300 ns between them. */
    private static String reportWithAgent(Path dir, double hit, double error) throws Exception {
        ArrayNode vt = OM.createArrayNode();
        vt.add(hookRow(VirtualThreadYieldBenchmark.HOOKS, "miss", 1.5, 0.5));
        vt.add(hookRow(VirtualThreadYieldBenchmark.HOOKS, "hit", hit, error));
        vt.add(hookRow(VirtualThreadYieldBenchmark.HOOKS_JNI_READ, "hit", 60, 5));
        for (int round = 1; round <= 2; round++) {
            double drift = round == 1 ? 0 : 300;
            vt.add(agentRow(VirtualThreadYieldBenchmark.NO_AGENT, "false", round, 600 + drift, 50));
            vt.add(agentRow(VirtualThreadYieldBenchmark.NOOP_AGENT, "false", round, 800 + drift, 50));
            vt.add(agentRow(VirtualThreadYieldBenchmark.ALLOCLINE_AGENT, "false", round, 801 + drift, 50));
            vt.add(agentRow(VirtualThreadYieldBenchmark.ALLOCLINE_AGENT, "true", round, 810 + drift + round, 50));
        }
        OM.writeValue(dir.resolve("vt-agent-jdk17.json").toFile(), vt);
        ArrayNode a = OM.createArrayNode();
        reads(a, 1, "0", 25, 1);
        return report(dir, a);
    }

    @Test
    void theHooksCostPerPairIsJudgedWithItsErrorAndWholePairsArePairedByRound(@TempDir Path dir) throws Exception {
        String md = reportWithAgent(dir, 10.5, 2);
        assertTrue(md.contains("allocline's hooks add at most 30 ns to a virtual thread's unmount/mount pair: PASS**"
                + " — 10.5 ns ± 2.00 per pair for a thread that took a baseline, 1.5 ns ± 0.50 for any other virtual thread"
                + " (60.0 ns when the carrier's counter is read through JNI, `read=jni`)"), md);
        // The 300 ns drift between rounds falls on every variant alike: the paired differences do not see it.
        assertTrue(md.contains("one that does nothing, +200.0 ns (+200.0 ns to +200.0 ns, 2 rounds) over no agent"), md);
        assertTrue(md.contains("counted thread, +11.5 ns (+11.0 ns to +12.0 ns, 2 rounds) over the agent that does nothing"), md);
        assertTrue(md.contains("| `allocline_agent` | true | 962 (811–1,112) | +211.5 ns (+211.0 ns to +212.0 ns, 2 rounds) |"), md);
        assertTrue(md.contains("| `allocline_hooks` | hit | 10.5 ± 2.00 | `-javaagent:allocline-agent.jar` |"), md);
    }

    @Test
    void hooksCostingMoreThanTheTargetFailAndOnesStraddlingItAreInconclusive(@TempDir Path dir) throws Exception {
        assertTrue(reportWithAgent(dir, 45, 5).contains("unmount/mount pair: FAIL**"));
        assertTrue(reportWithAgent(dir, 28, 5).contains("unmount/mount pair: INCONCLUSIVE**"));
    }

    @Test
    void aRunWithoutAgentRowsSaysNothingAboutTheAgent(@TempDir Path dir) throws Exception {
        ArrayNode a = OM.createArrayNode();
        reads(a, 1, "0", 25, 1);
        assertTrue(!report(dir, a).contains("virtual thread"));
    }
}
