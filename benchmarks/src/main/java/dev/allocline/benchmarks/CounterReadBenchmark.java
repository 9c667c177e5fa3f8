package dev.allocline.benchmarks;

import dev.allocline.internal.meter.ProcessAllocationSampler;
import dev.allocline.internal.meter.ThreadAllocationCounter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Question: what does one read of each candidate counter cost, per calling thread, as the number of
 * threads calling it grows (1–100, set by the suite with {@code -t}) and as idle live threads are
 * added ({@code idleThreads}: 0 or 500)?
 *
 * <p>Candidates: {@code System.nanoTime()} (the floor every per-request measurement pays anyway),
 * the current thread's allocated bytes (raw MXBean and through the library), a thread's bytes by id
 * (the caller's own, which takes HotSpot's current-thread fast path, and another busy thread's, which
 * is what the library's remote read costs), the process-wide {@code getTotalThreadAllocatedBytes} read directly (O(threads)), the
 * library's sampled process-wide figure (a volatile read), and {@code MemoryMXBean.getHeapMemoryUsage}
 * (a global lock and an allocation).
 *
 * <p>What could make a number lie: dead-code elimination (every method returns its value, which JMH
 * consumes); constant folding (each read is a native or volatile call the JIT cannot fold); shared
 * state (the MXBeans are process-wide by nature, which is the point; per-thread ids live in a
 * {@code Scope.Thread} state). With more threads than the machine's 2 cores, threads are time-sliced:
 * the average time per operation then includes waiting for a core, for every candidate alike, which is
 * why the report normalises each read to {@code nanoTime} at the same thread count. The busy thread
 * used by the remote read runs in every benchmark of this class, so all of them share its load.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class CounterReadBenchmark {

    /** Idle live threads parked during the measurement: the process-wide read walks them all. */
    @Param({"0"})
    public int idleThreads;

    private com.sun.management.ThreadMXBean threads;
    private MemoryMXBean memory;
    private ThreadAllocationCounter counter;
    private ProcessAllocationSampler.Lease sampler;
    private Thread busy;
    private volatile boolean stopBusy;
    /** Where the busy thread's allocations escape to, so the JIT keeps them. */
    static volatile Object sink;
    private final List<Thread> idle = new ArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);

    /** The calling thread's own id, looked up once. */
    @State(Scope.Thread)
    public static class Caller {
        long id;

        @Setup(Level.Trial)
        public void setUp() {
            id = Thread.currentThread().getId();
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        memory = ManagementFactory.getMemoryMXBean();
        counter = ThreadAllocationCounter.platform();
        if (ProcessAllocationSampler.isAvailable()) {
            sampler = ProcessAllocationSampler.acquire(Duration.ofMillis(1));
        }
        // Another thread that is alive and allocating, as a request's thread is when the library reads
        // it remotely: half of each millisecond allocating, half parked, so it competes for a core
        // only part of the time on a 2-core machine.
        busy = new Thread(() -> {
            while (!stopBusy) {
                long until = System.nanoTime() + 500_000;
                while (System.nanoTime() - until < 0) {
                    sink = new byte[256];
                }
                java.util.concurrent.locks.LockSupport.parkNanos(500_000);
            }
        }, "busy-allocating");
        busy.setDaemon(true);
        busy.start();
        for (int i = 0; i < idleThreads; i++) {
            Thread t = new Thread(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "idle-" + i);
            t.setDaemon(true);
            t.start();
            idle.add(t);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        release.countDown();
        for (Thread t : idle) {
            t.join();
        }
        stopBusy = true;
        busy.join();
        if (sampler != null) {
            sampler.close();
        }
    }

    /** The floor: one nanoTime read. */
    @Benchmark
    public long nanoTime() {
        return System.nanoTime();
    }

    /** The per-request read, raw: {@code getCurrentThreadAllocatedBytes}. */
    @Benchmark
    public long currentThreadAllocatedBytes() {
        return threads.getCurrentThreadAllocatedBytes();
    }

    /** The per-request read as the library does it (availability checks included). */
    @Benchmark
    public long libraryCurrentThreadAllocatedBytes() {
        return counter.currentThreadAllocatedBytes();
    }

    /**
     * {@code getThreadAllocatedBytes(id)} with the caller's own id: HotSpot serves it through its
     * current-thread fast path, so this is not what a remote read costs (see the next benchmark).
     */
    @Benchmark
    public long threadAllocatedBytesOwnId(Caller caller) {
        return threads.getThreadAllocatedBytes(caller.id);
    }

    /**
     * Another, running and allocating thread's bytes by id: the library's remote read of a segment still
     * inside a resource method when its request finishes elsewhere. HotSpot must find the thread by id
     * among the live threads, so this may grow with {@code idleThreads}.
     */
    @Benchmark
    public long threadAllocatedBytesRemoteBusy() {
        return counter.threadAllocatedBytes(busy.getId());
    }

    /** The process-wide figure read directly: O(live threads); -1 where the JVM lacks it. */
    @Benchmark
    public long totalThreadAllocatedBytesDirect() {
        return ProcessAllocationSampler.readTotalAllocatedBytes().orElse(-1L);
    }

    /** The process-wide figure as the library reads it per request: the sampler's volatile field. */
    @Benchmark
    public long librarySampledTotalAllocatedBytes() {
        return sampler == null ? -1L : sampler.sampledTotalAllocatedBytes();
    }

    /** The usual suspect: heap in use (global lock, allocates a MemoryUsage, not monotonic). */
    @Benchmark
    public long heapMemoryUsage() {
        return memory.getHeapMemoryUsage().getUsed();
    }
}
