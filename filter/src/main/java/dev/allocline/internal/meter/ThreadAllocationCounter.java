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
 *
 * <p>Virtual threads: the JVM has no counter for them. With {@code -javaagent:allocline-agent.jar}, the
 * agent keeps one (the carrier's exact counter read at every mount and unmount, credited to the virtual
 * thread) in a class it puts on the bootstrap class path; this class finds it there once, at start, and
 * asks it only where the JVM said -1 for a virtual thread, so platform threads pay nothing. A virtual
 * thread's figure counts from its first read, which is all the difference of two reads needs. The core
 * does not depend on the agent. Not API: may change without notice.
 */
public final class ThreadAllocationCounter {

    /** Reason given when the JVM has no allocated-bytes counters at all. */
    public static final String UNSUPPORTED_JVM = "unsupported_jvm";
    /** Reason given when measurement was switched off with {@code setThreadAllocatedMemoryEnabled(false)}. */
    public static final String DISABLED = "disabled";
    /**
     * Reason given for a virtual thread, which the JVM does not measure (JDK 21+), when the allocline
     * agent ({@code -javaagent:allocline-agent.jar}) is not running.
     */
    public static final String VIRTUAL_THREAD = "virtual_thread";
    /**
     * Reason given for a virtual thread the agent does not count: its table of virtual threads was full
     * when the thread first asked (see the agent's {@code slots} option).
     */
    public static final String VIRTUAL_THREAD_UNTRACKED = "virtual_thread_untracked";
    /**
     * Reason given for a virtual thread the agent counts when a read of it gave up: a read from another thread
     * (a request that ends while the thread still works for it) found the thread's slot changing, or its carrier's
     * counter unreadable, on every try, and returned -1 rather than a guess.
     */
    public static final String VIRTUAL_THREAD_READ_GAVE_UP = "virtual_thread_read_gave_up";

    /** The agent's hook class, on the bootstrap class path when {@code -javaagent:allocline-agent.jar} runs. */
    static final String AGENT_HOOK = "dev.allocline.agent.hook.VirtualThreadCounters";

    private static final ThreadAllocationCounter PLATFORM = new ThreadAllocationCounter();
    private static final MethodHandle IS_VIRTUAL = findIsVirtual();
    /** The agent's {@code ()long} and {@code (long)long} reads and its {@code (long)boolean} test; null without it. */
    private static final MethodHandle AGENT_CURRENT;
    private static final MethodHandle AGENT_BY_ID;
    private static final MethodHandle AGENT_TRACKED;
    private static final java.util.concurrent.atomic.AtomicBoolean NO_AGENT_SAID =
            new java.util.concurrent.atomic.AtomicBoolean();

    static {
        MethodHandle current = null;
        MethodHandle byId = null;
        MethodHandle tracked = null;
        try {
            // The bootstrap loader only: the agent jar on the class path without -javaagent does nothing.
            Class<?> hook = Class.forName(AGENT_HOOK, true, null);
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            boolean installed = (boolean) lookup.findStatic(hook, "installed", MethodType.methodType(boolean.class)).invoke();
            if (installed) {
                current = lookup.findStatic(hook, "currentThreadAllocatedBytes", MethodType.methodType(long.class));
                byId = lookup.findStatic(hook, "threadAllocatedBytes", MethodType.methodType(long.class, long.class));
                tracked = lookup.findStatic(hook, "tracked", MethodType.methodType(boolean.class, long.class));
            }
        } catch (Throwable t) {
            current = null; // no agent, or one this library does not understand: virtual threads stay -1
            byId = null;
            tracked = null;
        }
        AGENT_CURRENT = current;
        AGENT_BY_ID = byId;
        AGENT_TRACKED = tracked;
    }

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
            long bytes = bean.getCurrentThreadAllocatedBytes();
            if (bytes < 0 && AGENT_CURRENT != null && bean.isThreadAllocatedMemoryEnabled()) {
                bytes = (long) AGENT_CURRENT.invokeExact(); // -1 unless the caller is a counted virtual thread
            }
            return bytes;
        } catch (Throwable e) {
            return -1L;
        }
    }

    /** Bytes allocated so far by the thread with this id, or -1 when unavailable. */
    public long threadAllocatedBytes(long threadId) {
        if (bean == null) {
            return -1L;
        }
        try {
            long bytes = bean.getThreadAllocatedBytes(threadId);
            if (bytes < 0 && AGENT_BY_ID != null && bean.isThreadAllocatedMemoryEnabled()) {
                bytes = (long) AGENT_BY_ID.invokeExact(threadId); // -1 unless a counted virtual thread
            }
            return bytes;
        } catch (Throwable e) {
            return -1L;
        }
    }

    /** Whether virtual threads are counted: the agent is running and its hooks are in. */
    public static boolean countsVirtualThreads() {
        return AGENT_CURRENT != null;
    }

    /**
     * Why {@code thread} cannot be measured: {@link #UNSUPPORTED_JVM}, {@link #DISABLED},
     * {@link #VIRTUAL_THREAD}, {@link #VIRTUAL_THREAD_UNTRACKED}, {@link #VIRTUAL_THREAD_READ_GAVE_UP}, or
     * {@code "unavailable"} when the JVM gives no reason. Only called on the failure path, so it may be slow.
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
            if (AGENT_TRACKED == null) {
                if (NO_AGENT_SAID.compareAndSet(false, true)) {
                    dev.allocline.internal.log.Logging.failures().warn(ThreadAllocationCounter.class.getName(),
                            "allocline: a request ran on a virtual thread, which the JVM does not count: its line says "
                                    + "alloc_bytes=-1 alloc_unavailable=virtual_thread. Start the JVM with "
                                    + "-javaagent:allocline-agent.jar (artifact dev.allocline:allocline-agent) to count "
                                    + "virtual threads exactly. Said once.", null);
                }
                return VIRTUAL_THREAD;
            }
            return agentCounts(thread) ? VIRTUAL_THREAD_READ_GAVE_UP : VIRTUAL_THREAD_UNTRACKED;
        }
        return "unavailable";
    }

    /** Whether the agent holds a slot for {@code thread}: then a -1 was a read that gave up, not a thread it does not count. */
    @SuppressWarnings("deprecation") // Thread.getId(): threadId() is JDK 19+, and this compiles for 17
    private static boolean agentCounts(Thread thread) {
        try {
            return (boolean) AGENT_TRACKED.invokeExact(thread.getId());
        } catch (Throwable t) {
            return false;
        }
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
