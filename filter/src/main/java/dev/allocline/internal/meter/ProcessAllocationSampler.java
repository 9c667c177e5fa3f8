package dev.allocline.internal.meter;

import dev.allocline.internal.BackgroundThreads;
import java.lang.invoke.CallSite;
import java.lang.invoke.LambdaMetafactory;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * The process-wide allocated-bytes figure (Go's {@code TotalAlloc}), sampled in the background.
 *
 * <p>{@code com.sun.management.ThreadMXBean#getTotalThreadAllocatedBytes} (JDK 21+, backported to
 * 17.0.11+) is monotonic and includes dead threads, but it walks every live thread, so one call costs
 * O(threads): tens of microseconds with a hundred threads. Calling it twice per request would make the
 * request's cost grow with the thread count. This sampler calls it once per sampling interval on one
 * daemon thread and publishes the value in a volatile field, so a request pays one volatile read no
 * matter how many threads are alive. The price is resolution: a delta between two reads is a multiple
 * of what the process allocated in whole sampling intervals, so a request shorter than the interval
 * may see 0 or a whole interval's worth.
 *
 * <p>The interval adapts to the read's cost: the next sample is taken after {@code max(interval,
 * 200 × what a read costs)} (the cheapest of the last 16 reads), capped at 100 ms, which keeps the
 * sampler under 0.5% of one core however many threads are alive (with 8 threads a read costs ~1 µs and
 * the 1 ms default holds; at ~40 µs per read with a hundred threads the step stretches to ~8 ms).
 *
 * <p>The figure is process-wide, so there is one sampler per JVM, shared by every application through
 * a {@link Lease}: started by the first lease, stopped when the last one is closed. Its thread is a
 * daemon, so an application that is never destroyed (Jersey's in-memory test container sends no
 * DESTROY) leaves at most this one thread behind, never one per application.
 * Any thread may acquire and read; not API: may change without notice.
 */
public final class ProcessAllocationSampler {

    private static final ToLongFunction<com.sun.management.ThreadMXBean> TOTAL = findTotal();
    /** Cached: {@code ManagementFactory.getThreadMXBean()} itself costs 1–3 µs per call. */
    private static final com.sun.management.ThreadMXBean BEAN = TOTAL == null ? null
            : (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Sampler CPU budget: one read may cost at most 1/200 of the time until the next one. */
    private static final long COST_FACTOR = 200;
    /** The step never exceeds this, whatever a read costs. */
    private static final long MAX_STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    // Touched only by the sampler thread.
    private long costNanos;
    private long windowMinNanos = Long.MAX_VALUE;
    private int windowCount;

    // The one sampler of this JVM and its leases; guarded by the class.
    private static ProcessAllocationSampler shared;
    private static int leases;

    /** The shortest interval any open lease asked for. */
    private volatile long intervalNanos;
    private final ScheduledExecutorService scheduler;
    private volatile long sampled;
    private volatile boolean closed;

    private ProcessAllocationSampler(Duration interval) {
        this.intervalNanos = interval.toNanos();
        this.sampled = readTotalAllocatedBytes().orElse(-1L);
        // Lives as long as any application holds a lease, so it must not keep the first one's loader.
        this.scheduler = Executors.newSingleThreadScheduledExecutor(
                r -> BackgroundThreads.newDaemon(r, "allocline-total-alloc-sampler"));
        scheduler.schedule(this::tick, intervalNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * One application's use of the shared sampler. After {@link #close()} it keeps answering with a
     * direct (O(threads)) read, so requests that finish during shutdown keep a valid figure.
     */
    public static final class Lease implements AutoCloseable {
        private final ProcessAllocationSampler sampler;
        private volatile boolean closed;

        private Lease(ProcessAllocationSampler sampler) {
            this.sampler = sampler;
        }

        /** The process-wide allocated bytes: one volatile read while the sampler runs; -1 when unreadable. */
        public long sampledTotalAllocatedBytes() {
            if (!closed) {
                return sampler.sampled;
            }
            return readTotalAllocatedBytes().orElse(-1L);
        }

        /** Releases this application's use; the last one stops the sampler thread. Idempotent. */
        @Override
        public void close() {
            synchronized (ProcessAllocationSampler.class) {
                if (closed) {
                    return;
                }
                closed = true;
                if (--leases == 0 && shared != null) {
                    shared.stop();
                    shared = null;
                }
            }
        }
    }

    /**
     * A lease on the JVM's sampler, starting it if none runs; its step becomes the shortest asked for.
     *
     * @throws IllegalStateException when the JVM has no process-wide counter
     * @throws IllegalArgumentException when the interval is not positive
     */
    public static Lease acquire(Duration interval) {
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, was " + interval);
        }
        if (!isAvailable()) {
            throw new IllegalStateException("this JVM has no getTotalThreadAllocatedBytes (needs JDK 17.0.11+ or 21+)");
        }
        synchronized (ProcessAllocationSampler.class) {
            if (shared == null) {
                shared = new ProcessAllocationSampler(interval);
            } else if (interval.toNanos() < shared.intervalNanos) {
                shared.intervalNanos = interval.toNanos();
            }
            leases++;
            return new Lease(shared);
        }
    }

    /** How many leases are open (for tests of the lifecycle). */
    public static synchronized int leases() {
        return leases;
    }

    private void tick() {
        long t0 = System.nanoTime();
        sample();
        long cost = System.nanoTime() - t0;
        // The cheapest of the last 16 reads is what a read costs: wall time also counts the sampler
        // being preempted (by GC threads, on a small machine), which is not a cost of the read.
        windowMinNanos = Math.min(windowMinNanos, cost);
        if (++windowCount == 16) {
            costNanos = windowMinNanos;
            windowMinNanos = Long.MAX_VALUE;
            windowCount = 0;
        }
        long next = Math.min(MAX_STEP_NANOS, Math.max(intervalNanos, costNanos * COST_FACTOR));
        if (!closed) {
            try {
                scheduler.schedule(this::tick, next, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closed concurrently
            }
        }
    }

    /** Whether this JVM has {@code getTotalThreadAllocatedBytes}; detected once per JVM. */
    public static boolean isAvailable() {
        return TOTAL != null && readTotalAllocatedBytes().isPresent();
    }

    /**
     * One direct, O(threads) read of the process-wide allocated bytes; empty where the JVM lacks the
     * method or measurement is disabled. Use {@link #start(Duration)} on a request path instead.
     */
    public static OptionalLong readTotalAllocatedBytes() {
        if (TOTAL == null) {
            return OptionalLong.empty();
        }
        try {
            long v = TOTAL.applyAsLong(BEAN);
            return v < 0 ? OptionalLong.empty() : OptionalLong.of(v);
        } catch (Throwable t) {
            return OptionalLong.empty();
        }
    }

    private void sample() {
        sampled = readTotalAllocatedBytes().orElse(-1L);
    }

    private void stop() {
        closed = true;
        scheduler.shutdownNow();
    }

    @SuppressWarnings("unchecked")
    private static ToLongFunction<com.sun.management.ThreadMXBean> findTotal() {
        // Found by name: --release 17's API signature predates the 17.0.11 backport. Bound once
        // through LambdaMetafactory into an ordinary class: a MethodHandle call that is not yet
        // JIT-compiled costs ~100 us, and the sampler's call site runs too rarely to get compiled soon.
        try {
            if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean)) {
                return null;
            }
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            MethodHandle impl = lookup.findVirtual(com.sun.management.ThreadMXBean.class,
                    "getTotalThreadAllocatedBytes", MethodType.methodType(long.class));
            CallSite site = LambdaMetafactory.metafactory(lookup, "applyAsLong",
                    MethodType.methodType(ToLongFunction.class), MethodType.methodType(long.class, Object.class),
                    impl, MethodType.methodType(long.class, com.sun.management.ThreadMXBean.class));
            return (ToLongFunction<com.sun.management.ThreadMXBean>) site.getTarget().invoke();
        } catch (Throwable e) {
            return null;
        }
    }
}
