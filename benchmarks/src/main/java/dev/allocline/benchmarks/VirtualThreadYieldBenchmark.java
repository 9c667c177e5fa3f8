package dev.allocline.benchmarks;

import dev.allocline.internal.meter.ThreadAllocationCounter;
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
@Fork(value = 3, jvmArgsAppend = {"-Djdk.virtualThreadScheduler.parallelism=1",
        "-Djdk.virtualThreadScheduler.maxPoolSize=1", "-Xms512m", "-Xmx512m"})
@State(Scope.Benchmark)
public class VirtualThreadYieldBenchmark {

    static final int YIELDS = 10_000;

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

    /**
     * Runs every variant, one after the other: {@code [allocline agent jar] [benchmarks jar] [forks]}; the jars
     * default to {@code agent/target/allocline-agent-*.jar} and {@code benchmarks/target/benchmarks.jar}.
     */
    public static void main(String[] args) throws Exception {
        Path agent = args.length > 0 ? Path.of(args[0]) : VirtualThreadPingPongBenchmark.findAgent();
        Path self = args.length > 1 ? Path.of(args[1]) : Path.of("benchmarks", "target", "benchmarks.jar");
        int forks = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        List<String[]> variants = new ArrayList<>();
        variants.add(new String[] {"no agent", null});
        variants.add(new String[] {"a Java agent that does nothing", "-javaagent:" + self.toAbsolutePath()});
        variants.add(new String[] {"an agent retransforming VirtualThread unchanged",
                "-javaagent:" + self.toAbsolutePath() + "=retransform"});
        variants.add(new String[] {"allocline's agent", "-javaagent:" + agent.toAbsolutePath()});
        for (String[] v : variants) {
            OptionsBuilder o = new OptionsBuilder();
            o.include("^" + VirtualThreadYieldBenchmark.class.getName().replace(".", "\\.") + "\\.").forks(forks);
            if (v[1] != null) {
                o.jvmArgsAppend(v[1]);
            }
            if (!v[0].equals("allocline's agent")) {
                o.param("counted", "false"); // without allocline's hooks the two are the same code
            }
            System.out.println("== " + v[0] + (v[1] == null ? "" : " (" + v[1] + ")"));
            new Runner(o.build()).run();
        }
    }
}
