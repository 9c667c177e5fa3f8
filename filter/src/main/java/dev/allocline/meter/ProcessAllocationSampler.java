package dev.allocline.meter;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

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
 */
public final class ProcessAllocationSampler implements AutoCloseable {

    private static final MethodHandle TOTAL = findTotal();

    private final Duration interval;
    private final ScheduledExecutorService scheduler;
    private final ScheduledFuture<?> task;
    private volatile long sampled;

    private ProcessAllocationSampler(Duration interval) {
        this.interval = interval;
        this.sampled = readTotalAllocatedBytes().orElse(-1L);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "allocline-total-alloc-sampler");
            t.setDaemon(true);
            return t;
        });
        long nanos = interval.toNanos();
        this.task = scheduler.scheduleAtFixedRate(this::sample, nanos, nanos, TimeUnit.NANOSECONDS);
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
            long v = (long) TOTAL.invokeExact(
                    (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean());
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

    /** The sampling interval, which is the resolution of any delta of {@link #sampledTotalAllocatedBytes()}. */
    public Duration interval() {
        return interval;
    }

    /** Takes a sample now, on the caller's thread (for tests and for a last reading at shutdown). */
    public void sample() {
        sampled = readTotalAllocatedBytes().orElse(-1L);
    }

    /** Stops the sampler thread. */
    @Override
    public void close() {
        task.cancel(false);
        scheduler.shutdownNow();
    }

    private static MethodHandle findTotal() {
        // Looked up by name: --release 17's API signature predates the 17.0.11 backport.
        try {
            MethodHandle mh = MethodHandles.publicLookup().findVirtual(com.sun.management.ThreadMXBean.class,
                    "getTotalThreadAllocatedBytes", MethodType.methodType(long.class));
            java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
            if (!(bean instanceof com.sun.management.ThreadMXBean)) {
                return null;
            }
            return mh;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }
}
