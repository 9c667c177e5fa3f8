package dev.allocline.benchmarks;

import dev.allocline.agent.hook.VirtualThreadCounters;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Question: what do allocline's two hooks themselves cost per unmount/mount pair, apart from what the JVM charges
 * any Java agent? {@link VirtualThreadYieldBenchmark} times a whole pair, whose run-to-run spread (hundreds of ns
 * between forks on a shared 2-core machine) hides a difference of tens; this calls the hooks exactly as the
 * transformed {@code VirtualThread.mount()}/{@code unmount()} do, once each per operation, with nothing else.
 * {@code slot=hit}: the virtual thread took a baseline, so both hooks find its slot and read the carrier's counter
 * (a request's thread); {@code miss}: it never asked, so both look it up and return (every other virtual thread).
 *
 * <p>What could make the number lie: the calls come from a platform thread rather than from inside
 * {@code VirtualThread} (same hook code, same JIT; the inlining context differs); the slot's table stays in
 * cache here, where a busy service may miss it once per mount. Needs the agent (the hooks' class is in the
 * bootstrap class loader only then): {@code -javaagent:integrations/agent/target/allocline-agent-*.jar}, JDK 21+.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
@State(Scope.Benchmark)
public class VirtualThreadHookBenchmark {

    @Param({"miss", "hit"})
    public String slot;

    private Thread vthread;
    private final CountDownLatch release = new CountDownLatch(1);

    @Setup
    public void setUp() throws Exception {
        if (!VirtualThreadCounters.installed()) {
            throw new IllegalStateException("allocline's agent is not installed: run with -javaagent:allocline-agent.jar on JDK 21+");
        }
        Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
        ThreadFactory factory = (ThreadFactory) Class.forName("java.lang.Thread$Builder").getMethod("factory").invoke(builder);
        CountDownLatch ready = new CountDownLatch(1);
        boolean take = "hit".equals(slot);
        vthread = factory.newThread(() -> {
            if (take && VirtualThreadCounters.currentThreadAllocatedBytes() < 0) {
                return; // no slot: setUp sees it below
            }
            ready.countDown();
            try {
                release.await(); // stays alive, so its slot (if any) stays taken
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        vthread.start();
        if (!ready.await(10, TimeUnit.SECONDS) || VirtualThreadCounters.tracked(vthread.getId()) != take) {
            throw new IllegalStateException("the virtual thread's slot is not as the variant needs (" + slot + ")");
        }
    }

    @TearDown
    public void tearDown() throws InterruptedException {
        release.countDown();
        vthread.join();
    }

    /** One mount hook and one unmount hook, as one unmount/mount pair of the thread runs them. */
    @Benchmark
    public void pair() {
        VirtualThreadCounters.mount(vthread);
        VirtualThreadCounters.unmount(vthread, false);
    }
}
