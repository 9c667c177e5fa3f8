package dev.allocline.benchmarks;

import dev.allocline.internal.meter.ThreadAllocationCounter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Question: what does one unmount/mount pair of a virtual thread cost, with no agent, with an agent that does
 * nothing, with one that retransforms {@code VirtualThread} without changing it, and with allocline's? One
 * virtual thread calls {@code Thread.yield()} {@value #YIELDS} times on a scheduler of one carrier: every
 * yield unmounts it, queues it, and mounts it again on the same carrier, with no other thread to wake and
 * no core to cross, which keeps the run-to-run spread far below the ping-pong benchmark's.
 * {@code counted=true}: the thread took a baseline first, so allocline's hooks read the carrier's counter at
 * every mount and unmount (a request's thread); {@code false}: they look it up and find nothing.
 *
 * <p>What could make the number lie: the start and join of the virtual thread (once per {@value #YIELDS}
 * yields, a few ns each); a busy machine, which preempts the carrier (not publishable then); a JDK whose
 * yield takes another path. JDK 21+ only. Run all variants side by side with {@link #main}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(VirtualThreadYieldBenchmark.YIELDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {VirtualThreadYieldBenchmark.ONE_CARRIER, VirtualThreadYieldBenchmark.NO_SPARE_CARRIER,
        VirtualThreadYieldBenchmark.HEAP_MIN, VirtualThreadYieldBenchmark.HEAP_MAX})
@State(Scope.Benchmark)
public class VirtualThreadYieldBenchmark {

    static final int YIELDS = 10_000;

    // The fork's arguments, named so that runAll can repeat them: JMH's jvmArgsAppend option does not add to the
    // annotation's, it replaces them, so a variant given an agent that way alone would run on the default
    // scheduler (one carrier per core), not on one carrier.
    static final String ONE_CARRIER = "-Djdk.virtualThreadScheduler.parallelism=1";
    static final String NO_SPARE_CARRIER = "-Djdk.virtualThreadScheduler.maxPoolSize=1";
    static final String HEAP_MIN = "-Xms512m";
    static final String HEAP_MAX = "-Xmx512m";

    @Param({"false", "true"})
    public boolean counted;

    private ThreadFactory virtual;

    @Setup
    public void setUp() throws Exception {
        Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
        virtual = (ThreadFactory) Class.forName("java.lang.Thread$Builder").getMethod("factory").invoke(builder);
    }

    @Benchmark
    public void yields() throws InterruptedException {
        boolean baseline = counted;
        Thread t = virtual.newThread(() -> {
            if (baseline) {
                ThreadAllocationCounter.platform().currentThreadAllocatedBytes(); // takes a slot with the agent
            }
            for (int i = 0; i < YIELDS; i++) {
                Thread.yield();
            }
        });
        t.start();
        t.join();
    }

    /** The variants {@link #runAll} runs, by the name the report reads them under. */
    static final String NO_AGENT = "no_agent";
    static final String NOOP_AGENT = "noop_agent";
    static final String RETRANSFORMING_AGENT = "retransforming_agent";
    static final String ALLOCLINE_AGENT = "allocline_agent";
    /** {@link VirtualThreadHookBenchmark} with allocline's agent as shipped, and with {@code read=jni}. */
    static final String HOOKS = "allocline_hooks";
    static final String HOOKS_JNI_READ = "allocline_hooks_jni_read";
    /** The field of each JSON row naming its variant (JMH's own rows do not say which agent ran). */
    static final String VARIANT_FIELD = "alloclineAgentVariant";
    /** The field of each of this benchmark's rows saying in which round it ran (1, 2, ...). */
    static final String ROUND_FIELD = "alloclineRound";

    /**
     * Runs every variant: {@code [allocline agent jar] [benchmarks jar] [rounds] [json]}; the jars default to
     * {@code integrations/agent/target/allocline-agent-*.jar} and {@code benchmarks/target/benchmarks.jar}; with {@code json},
     * the rows of all variants are written there (what {@code Report} reads as {@code vt-agent-jdk<N>.json}).
     */
    public static void main(String[] args) throws Exception {
        Path agent = args.length > 0 ? Path.of(args[0]) : VirtualThreadPingPongBenchmark.findAgent();
        Path self = args.length > 1 ? Path.of(args[1]) : Path.of("benchmarks", "target", "benchmarks.jar");
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 6;
        Path json = args.length > 3 ? Path.of(args[3]) : null;
        runAll(agent, self, rounds, json, Files.createTempDirectory("allocline-vt-"));
    }

    /**
     * First the hooks alone ({@link VirtualThreadHookBenchmark}, 3 forks, with the agent as shipped and with
     * {@code read=jni}); then whole pairs: {@code rounds} rounds, each running one fork of every variant in turn
     * (no agent, an agent that does nothing, one that retransforms {@code VirtualThread} unchanged, allocline's
     * with an uncounted and a counted thread), so that a shared machine's drift, which moves this benchmark by
     * hundreds of ns from one minute to the next, falls on all variants of a round alike and the report can pair
     * them. With {@code json}, all rows are written there, labelled with {@value #VARIANT_FIELD} (and
     * {@value #ROUND_FIELD}). {@code work} holds JMH's per-run files.
     */
    static void runAll(Path agent, Path self, int rounds, Path json, Path work) throws Exception {
        ObjectMapper om = new ObjectMapper();
        ArrayNode all = om.createArrayNode();
        String alloclineAgent = "-javaagent:" + agent.toAbsolutePath();
        run(om, all, work, VirtualThreadHookBenchmark.class, HOOKS, 0, 3, null, List.of(alloclineAgent));
        run(om, all, work, VirtualThreadHookBenchmark.class, HOOKS_JNI_READ, 0, 3, null, List.of(alloclineAgent + "=read=jni"));
        String[][] variants = {
            {NO_AGENT, null, "false"},
            {NOOP_AGENT, "-javaagent:" + self.toAbsolutePath(), "false"},
            {RETRANSFORMING_AGENT, "-javaagent:" + self.toAbsolutePath() + "=retransform", "false"},
            {ALLOCLINE_AGENT, alloclineAgent, "false"},
            {ALLOCLINE_AGENT, alloclineAgent, "true"},
        };
        for (int round = 1; round <= rounds; round++) {
            for (String[] v : variants) {
                List<String> jvmArgs = new ArrayList<>(List.of(ONE_CARRIER, NO_SPARE_CARRIER, HEAP_MIN, HEAP_MAX));
                if (v[1] != null) {
                    jvmArgs.add(v[1]);
                }
                run(om, all, work, VirtualThreadYieldBenchmark.class, v[0], round, 1, v[2], jvmArgs);
            }
        }
        if (json != null) {
            om.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), all);
        }
    }

    private static void run(ObjectMapper om, ArrayNode all, Path work, Class<?> benchmark, String variant, int round,
                            int forks, String counted, List<String> args) throws Exception {
        Path out = work.resolve(benchmark.getSimpleName() + "-" + variant + "-" + counted + "-" + round + ".json");
        List<String> jvmArgs = new ArrayList<>(args);
        jvmArgs.add("-Djava.io.tmpdir=" + work.toAbsolutePath());
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include("^" + benchmark.getName().replace(".", "\\.") + "\\.")
                .forks(forks)
                .jvmArgsAppend(jvmArgs.toArray(new String[0])) // all of them: this replaces the annotation's
                .resultFormat(ResultFormatType.JSON)
                .result(out.toString());
        if (counted != null) {
            o.param("counted", counted);
        }
        System.out.println("== " + benchmark.getSimpleName() + " " + variant + (counted == null ? "" : " counted=" + counted)
                + (round > 0 ? " round " + round : "") + " " + args);
        new Runner(o.build()).run();
        for (JsonNode row : om.readTree(out.toFile())) {
            ((ObjectNode) row).put(VARIANT_FIELD, variant);
            if (round > 0) {
                ((ObjectNode) row).put(ROUND_FIELD, round);
            }
            all.add(row);
        }
    }
}
