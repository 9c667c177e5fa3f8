package dev.allocline.benchmarks;

import dev.allocline.internal.meter.ThreadAllocationCounter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Question: what does the allocline agent add to a virtual thread's mount/unmount? Two virtual threads
 * hand a baton back and forth with {@code LockSupport.park/unpark} on 2 carriers; one operation is one
 * round trip, i.e. two parks, two unparks and two mount/unmount pairs. Run once without the agent and
 * once with it ({@link #main}); the difference per operation, halved, is the agent's cost per pair.
 * {@code counted=true}: both threads took a baseline through the library first, so the hooks read the
 * carrier's counter at every mount and unmount (a request's thread); {@code false}: the hooks only look
 * the thread up and find nothing (every other virtual thread).
 *
 * <p>What could make the number lie: the driving platform thread's own park/unpark (amortised over
 * {@value #ROUNDS} round trips per invocation); where the two threads land (same carrier: a local
 * queue hand-off; two carriers: a wake-up across cores), which differs run to run, hence three forks;
 * a busy machine, which time-slices the carriers (the number is then not publishable). JDK 21+ only.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(VirtualThreadPingPongBenchmark.ROUNDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"-Djdk.virtualThreadScheduler.parallelism=2", "-Xms512m", "-Xmx512m"})
@State(Scope.Benchmark)
public class VirtualThreadPingPongBenchmark {

    static final int ROUNDS = 1000;

    @Param({"false", "true"})
    public boolean counted;

    private volatile int turn; // 0: ping's, 1: pong's, 2: the driver's
    private volatile long done;
    private volatile long target;
    private volatile boolean stop;
    private Thread ping;
    private Thread pong;
    private Thread driver;

    @Setup
    public void start() throws Exception {
        Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
        ThreadFactory virtual = (ThreadFactory) Class.forName("java.lang.Thread$Builder").getMethod("factory").invoke(builder);
        turn = 2;
        ping = virtual.newThread(() -> {
            baseline();
            while (true) {
                while (turn != 0) {
                    if (stop) {
                        return;
                    }
                    LockSupport.park();
                }
                turn = 1;
                LockSupport.unpark(pong);
            }
        });
        pong = virtual.newThread(() -> {
            baseline();
            while (true) {
                while (turn != 1) {
                    if (stop) {
                        return;
                    }
                    LockSupport.park();
                }
                long d = done + 1;
                done = d;
                if (d >= target) {
                    turn = 2;
                    LockSupport.unpark(driver);
                } else {
                    turn = 0;
                    LockSupport.unpark(ping);
                }
            }
        });
        ping.start();
        pong.start();
    }

    private void baseline() {
        if (counted) {
            ThreadAllocationCounter.platform().currentThreadAllocatedBytes(); // takes a slot with the agent
        }
    }

    @Benchmark
    public long roundTrip() {
        driver = Thread.currentThread();
        target = done + ROUNDS;
        turn = 0;
        LockSupport.unpark(ping);
        while (turn != 2) {
            LockSupport.park();
        }
        return done;
    }

    @TearDown
    public void stop() throws InterruptedException {
        stop = true;
        LockSupport.unpark(ping);
        LockSupport.unpark(pong);
        ping.join();
        pong.join();
    }

    /**
     * Runs the benchmark without and with the agent: {@code [agent jar] [forks]}; the jar defaults to
     * {@code integrations/agent/target/allocline-agent-*.jar} under the working directory.
     */
    public static void main(String[] args) throws Exception {
        Path jar = args.length > 0 ? Path.of(args[0]) : findAgent();
        int forks = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        for (boolean withAgent : new boolean[] {false, true}) {
            OptionsBuilder o = new OptionsBuilder();
            o.include("^" + VirtualThreadPingPongBenchmark.class.getName().replace(".", "\\.") + "\\.").forks(forks);
            if (withAgent) {
                // JMH's jvmArgsAppend option replaces the annotation's: repeat them, or this variant runs with another heap
                o.jvmArgsAppend("-Djdk.virtualThreadScheduler.parallelism=2", "-Xms512m", "-Xmx512m",
                        "-javaagent:" + jar.toAbsolutePath());
            }
            System.out.println(withAgent ? "== with -javaagent:" + jar : "== without the agent");
            new Runner(o.build()).run();
        }
    }

    static Path findAgent() throws Exception {
        try (Stream<Path> files = Files.list(Path.of("integrations", "agent", "target"))) {
            return files.filter(p -> p.getFileName().toString().matches("allocline-agent-[^-].*\\.jar"))
                    .filter(p -> !p.getFileName().toString().contains("-sources") && !p.getFileName().toString().contains("-javadoc"))
                    .findFirst().orElseThrow(() -> new IllegalStateException("no integrations/agent/target/allocline-agent-*.jar: build the agent module"));
        }
    }
}
