package dev.allocline.internal.meter;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;

/**
 * Reads the JVM's per-thread allocated-bytes counters.
 *
 * <p>{@code com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes} costs ~20–30 ns, takes no
 * safepoint and no lock and allocates nothing, and is exact to the byte (it includes the thread's open
 * TLAB). That makes it the cheap, exact per-request figure that Go's stop-the-world
 * {@code ReadMemStats} (~50 µs) could not give. It returns -1 when the JVM cannot measure the calling
 * thread: counters disabled, an unsupported JVM, or a virtual thread (JDK 21+). Callers must treat -1
 * as "unavailable" and never as zero; {@link #unavailableReason(Thread)} says why. Any thread.
 * Not API: may change without notice.
 */
public final class ThreadAllocationCounter {

    /** Reason given when the JVM has no allocated-bytes counters at all. */
    public static final String UNSUPPORTED_JVM = "unsupported_jvm";
    /** Reason given when measurement was switched off with {@code setThreadAllocatedMemoryEnabled(false)}. */
    public static final String DISABLED = "disabled";
    /** Reason given for a virtual thread, which the JVM does not measure (JDK 21+). */
    public static final String VIRTUAL_THREAD = "virtual_thread";

    private static final ThreadAllocationCounter PLATFORM = new ThreadAllocationCounter();
    private static final MethodHandle IS_VIRTUAL = findIsVirtual();

    private final com.sun.management.ThreadMXBean bean;

    private ThreadAllocationCounter() {
        java.lang.management.ThreadMXBean b = ManagementFactory.getThreadMXBean();
        com.sun.management.ThreadMXBean sun = null;
        if (b instanceof com.sun.management.ThreadMXBean) {
            com.sun.management.ThreadMXBean candidate = (com.sun.management.ThreadMXBean) b;
            try {
                if (candidate.isThreadAllocatedMemorySupported()) {
                    sun = candidate;
                }
            } catch (UnsupportedOperationException e) {
                sun = null;
            }
        }
        this.bean = sun;
    }

    /** The counter of this JVM. */
    public static ThreadAllocationCounter platform() {
        return PLATFORM;
    }

    /** Bytes allocated so far by the calling thread, or -1 when unavailable. */
    public long currentThreadAllocatedBytes() {
        if (bean == null) {
            return -1L;
        }
        try {
            return bean.getCurrentThreadAllocatedBytes();
        } catch (UnsupportedOperationException e) {
            return -1L;
        }
    }

    /** Bytes allocated so far by the thread with this id, or -1 when unavailable. */
    public long threadAllocatedBytes(long threadId) {
        if (bean == null) {
            return -1L;
        }
        try {
            return bean.getThreadAllocatedBytes(threadId);
        } catch (UnsupportedOperationException e) {
            return -1L;
        }
    }

    /**
     * Why {@code thread} cannot be measured: {@link #UNSUPPORTED_JVM}, {@link #DISABLED},
     * {@link #VIRTUAL_THREAD}, or {@code "unavailable"} when the JVM gives no reason. Only called on
     * the failure path, so it may be slow.
     */
    public String unavailableReason(Thread thread) {
        if (bean == null) {
            return UNSUPPORTED_JVM;
        }
        try {
            if (!bean.isThreadAllocatedMemoryEnabled()) {
                return DISABLED;
            }
        } catch (UnsupportedOperationException e) {
            return UNSUPPORTED_JVM;
        }
        if (isVirtual(thread)) {
            return VIRTUAL_THREAD;
        }
        return "unavailable";
    }

    /** {@code Thread.isVirtual()} on JDK 21+, false on JDK 17 (which has no virtual threads). */
    public static boolean isVirtual(Thread thread) {
        if (IS_VIRTUAL == null) {
            return false;
        }
        try {
            return (boolean) IS_VIRTUAL.invokeExact(thread);
        } catch (Throwable t) {
            return false;
        }
    }

    private static MethodHandle findIsVirtual() {
        try {
            return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual", MethodType.methodType(boolean.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
