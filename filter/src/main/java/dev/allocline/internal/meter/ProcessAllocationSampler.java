package dev.allocline.internal.meter;

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
 * request's cost grow with the thread count. This sampler calls it once per {@link #interval()} on one
 * daemon thread and publishes the value in a volatile field, so a request pays one volatile read no
 * matter how many threads are alive. The price is resolution: a delta between two reads is a multiple
 * of what the process allocated in whole sampling intervals, so a request shorter than the interval
 * may see 0 or a whole interval's worth.
 *
 * <p>The interval adapts to the read's cost: the next sample is taken after {@code max(interval,
 * 200 × what a read costs)} (the cheapest of the last 16 reads), capped at 100 ms,, which keeps the sampler under 0.5% of one core however many threads are
 * alive (with 8 threads a read costs ~1 µs and the 1 ms default holds; at ~40 µs per read with a
 * hundred threads the step stretches to ~8 ms). {@link #currentInterval()} tells the step in force.
 */
public final class ProcessAllocationSampler implements AutoCloseable {

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

    private final Duration interval;
    private final ScheduledExecutorService scheduler;
    private volatile long sampled;
    private volatile long currentIntervalNanos;
    private volatile boolean closed;

    private ProcessAllocationSampler(Duration interval) {
        this.interval = interval;
        this.sampled = readTotalAllocatedBytes().orElse(-1L);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "allocline-total-alloc-sampler");
            t.setDaemon(true);
            return t;
        });
        this.currentIntervalNanos = interval.toNanos();
        scheduler.schedule(this::tick, currentIntervalNanos, TimeUnit.NANOSECONDS);
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
        long next = Math.min(MAX_STEP_NANOS, Math.max(interval.toNanos(), costNanos * COST_FACTOR));
        currentIntervalNanos = next;
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

    /**
     * Starts a sampler thread reading the process-wide figure every {@code interval}.
     *
     * @throws IllegalStateException when the JVM has no process-wide counter
     * @throws IllegalArgumentException when the interval is not positive
     */
    public static ProcessAllocationSampler start(Duration interval) {
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, was " + interval);
        }
        if (!isAvailable()) {
            throw new IllegalStateException("this JVM has no getTotalThreadAllocatedBytes (needs JDK 17.0.11+ or 21+)");
        }
        return new ProcessAllocationSampler(interval);
    }

    /** The latest sampled process-wide allocated bytes, or -1 when the last read failed. One volatile read. */
    public long sampledTotalAllocatedBytes() {
        return sampled;
    }

    /** The shortest sampling interval, as configured. */
    public Duration interval() {
        return interval;
    }

    /**
     * The sampling step in force, which is the resolution of any delta of
     * {@link #sampledTotalAllocatedBytes()}: the configured interval, stretched when reads are costly.
     */
    public Duration currentInterval() {
        return Duration.ofNanos(currentIntervalNanos);
    }

    /** Takes a sample now, on the caller's thread (for tests and for a last reading at shutdown). */
    public void sample() {
        sampled = readTotalAllocatedBytes().orElse(-1L);
    }

    /** Stops the sampler thread. */
    @Override
    public void close() {
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
