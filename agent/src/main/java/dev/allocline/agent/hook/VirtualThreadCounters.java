package dev.allocline.agent.hook;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;

/**
 * Allocated-bytes counters for virtual threads, kept by hooks the agent puts into
 * {@code java.lang.VirtualThread}: the carrier's own counter (exact, ~10 ns, readable whatever thread is
 * current because HotSpot counts per OS thread) is read when a virtual thread mounts and when it
 * unmounts, and the difference is credited to the virtual thread. A virtual thread's bytes are then the
 * sum over its mounts of what its carriers allocated while it was mounted, plus, while it is mounted,
 * what the carrier allocated since this mount.
 *
 * <p>Defined in the bootstrap class loader by the agent, so that {@code VirtualThread} can call it; the
 * library finds it there reflectively. It uses nothing but the JDK.
 *
 * <p>Where the state lives: {@code VirtualThread} is loaded from the CDS archive before any agent runs, and
 * a retransformation cannot add fields, so a virtual thread's counter lives in a table allocated once,
 * here. Only threads that asked for their bytes ({@link #currentThreadAllocatedBytes}, i.e. those that
 * took a request's baseline) get a slot; their counter starts at that first read, which is all a
 * difference of two reads needs. The slot is freed when the thread terminates. Slots sit in buckets of
 * {@value #WAYS} keyed by thread id, so the mount path looks at one cache line of keys and gives up
 * there: a miss (most virtual threads never ask) costs a hash and eight compares.
 *
 * <p>Threading: {@link #mount} and {@link #unmount} are called by the carrier running the virtual thread,
 * which also is the only writer of that thread's slot (its reads run on it while mounted); other threads
 * read a slot by id through {@link #threadAllocatedBytes(long)} under a sequence lock. Nothing here
 * allocates on the mount or unmount path, takes a lock, or lets a throwable out.
 */
@SuppressWarnings("deprecation") // Thread.getId(): threadId() is JDK 19+, and this compiles for 17
public final class VirtualThreadCounters {

    /** Slots per bucket: eight longs, one cache line of keys. */
    private static final int WAYS = 8;
    /** Longs of data per slot. */
    private static final int STRIDE = 4;
    private static final int SEQ = 0;
    private static final int ACCUM = 1;
    private static final int MOUNT = 2;
    private static final int CARRIER = 3;
    /** A key while its slot is being set up: no lookup matches it. */
    private static final long CLAIMED = -1L;
    /** The system property with the number of slots (rounded up to a power of two). */
    public static final String SLOTS_PROPERTY = "dev.allocline.agent.slots";
    private static final int DEFAULT_SLOTS = 16384;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    /** {@code sun.management.ThreadImpl.getThreadAllocatedMemory0(long)}: 0 = the current OS thread. */
    private static final MethodHandle ALLOCATED;
    /** {@code JavaLangAccess.currentCarrierThread()}, bound; only used when a thread first asks. */
    private static final MethodHandle CURRENT_CARRIER;
    private static final Class<?> VIRTUAL_THREAD;
    private static final String PROBLEM;
    private static final int BUCKET_MASK;
    private static final long[] KEYS;
    private static final long[] DATA;

    private static volatile boolean installed;
    private static volatile boolean full;
    private static volatile Throwable hookFailure;

    static {
        MethodHandle allocated = null;
        MethodHandle carrier = null;
        Class<?> vt = null;
        String problem = null;
        try {
            // Its static initialiser loads libmanagement, whose natives the read below needs; nothing else.
            Class.forName("java.lang.management.ManagementFactory", true, null);
            Class<?> threadImpl = Class.forName("sun.management.ThreadImpl", false, null);
            allocated = MethodHandles.privateLookupIn(threadImpl, MethodHandles.lookup())
                    .findStatic(threadImpl, "getThreadAllocatedMemory0", MethodType.methodType(long.class, long.class));
            Class<?> secrets = Class.forName("jdk.internal.access.SharedSecrets", true, null);
            Class<?> jla = Class.forName("jdk.internal.access.JavaLangAccess", false, null);
            // Exported to this class's module only (the agent's redefineModule): a full lookup, not publicLookup.
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            Object access = lookup.findStatic(secrets, "getJavaLangAccess", MethodType.methodType(jla)).invoke();
            carrier = lookup.findVirtual(jla, "currentCarrierThread", MethodType.methodType(Thread.class))
                    .bindTo(access);
            vt = Class.forName("java.lang.VirtualThread", false, null);
            long probe = (long) allocated.invokeExact(0L);
            if (probe < 0) {
                problem = "the JVM does not count allocated bytes per thread";
            }
        } catch (Throwable t) {
            problem = "the JDK's internals are not what this agent expects (" + t + ")";
            allocated = null;
        }
        int slots = DEFAULT_SLOTS;
        try {
            String s = System.getProperty(SLOTS_PROPERTY);
            if (s != null) {
                slots = Math.max(WAYS, Math.min(1 << 24, Integer.parseInt(s.trim())));
            }
        } catch (RuntimeException e) {
            slots = DEFAULT_SLOTS;
        }
        int buckets = Integer.highestOneBit(Math.max(1, (slots + WAYS - 1) / WAYS - 1)) << 1;
        ALLOCATED = allocated;
        CURRENT_CARRIER = carrier;
        VIRTUAL_THREAD = vt;
        PROBLEM = problem;
        BUCKET_MASK = buckets - 1;
        KEYS = new long[buckets * WAYS];
        DATA = new long[buckets * WAYS * STRIDE];
    }

    private VirtualThreadCounters() {
    }

    // ---- the agent ----

    /** Why the hooks cannot work on this JDK, or null when they can; asked by the agent before it transforms. */
    public static String problem() {
        return PROBLEM;
    }

    /** Called by the agent once {@code VirtualThread} carries the hooks. */
    public static void markInstalled() {
        installed = PROBLEM == null;
    }

    /** Whether the hooks are in {@code VirtualThread} and working: the library uses this table only then. */
    public static boolean installed() {
        return installed;
    }

    /** Slots in the table: at most this many virtual threads that asked can be alive at once. */
    public static int slots() {
        return KEYS.length;
    }

    /** Whether a virtual thread found no free slot since start (its reads said -1). */
    public static boolean wasFull() {
        return full;
    }

    /** The first throwable a hook swallowed, or null; for the agent's tests and diagnostics. */
    public static Throwable hookFailure() {
        return hookFailure;
    }

    // ---- called from VirtualThread ----

    /** At the start of {@code VirtualThread.mount()}: on the carrier, before the virtual thread is current. */
    public static void mount(Thread vthread) {
        try {
            int slot = find(vthread.getId());
            if (slot < 0) {
                return;
            }
            long now = (long) ALLOCATED.invokeExact(0L);
            long carrier = Thread.currentThread().getId();
            int d = slot * STRIDE;
            long seq = DATA[d + SEQ];
            LONGS.setOpaque(DATA, d + SEQ, seq + 1);
            VarHandle.storeStoreFence();
            DATA[d + MOUNT] = now;
            DATA[d + CARRIER] = carrier;
            LONGS.setRelease(DATA, d + SEQ, seq + 2);
        } catch (Throwable t) {
            failed(t);
        }
    }

    /**
     * At the start of {@code VirtualThread.unmount()}: on the carrier, the virtual thread still current;
     * {@code done} when its task has ended (then its slot is freed).
     */
    public static void unmount(Thread vthread, boolean done) {
        try {
            int slot = find(vthread.getId());
            if (slot < 0) {
                return;
            }
            long now = (long) ALLOCATED.invokeExact(0L);
            int d = slot * STRIDE;
            long seq = DATA[d + SEQ];
            LONGS.setOpaque(DATA, d + SEQ, seq + 1);
            VarHandle.storeStoreFence();
            long mount = DATA[d + MOUNT];
            if (mount >= 0 && now >= mount) {
                DATA[d + ACCUM] += now - mount;
            }
            DATA[d + MOUNT] = -1L;
            LONGS.setRelease(DATA, d + SEQ, seq + 2);
            if (done) {
                LONGS.setRelease(KEYS, slot, 0L);
            }
        } catch (Throwable t) {
            failed(t);
        }
    }

    // ---- called by the library ----

    /**
     * Bytes the calling virtual thread has allocated since it first asked (0 at the first call, which
     * takes a slot), or -1 when the caller is not a virtual thread, the hooks are not installed, or no
     * slot is free. Allocates nothing.
     */
    public static long currentThreadAllocatedBytes() {
        try {
            if (!installed) {
                return -1L;
            }
            Thread t = Thread.currentThread();
            if (t.getClass() != VIRTUAL_THREAD) {
                return -1L;
            }
            long now = (long) ALLOCATED.invokeExact(0L);
            long id = t.getId();
            int slot = find(id);
            if (slot < 0) {
                return register(id, now) ? 0L : -1L;
            }
            // This thread is the only writer of its slot, and it is mounted: no torn read possible.
            int d = slot * STRIDE;
            long mount = DATA[d + MOUNT];
            return mount < 0 ? -1L : DATA[d + ACCUM] + (now - mount);
        } catch (Throwable e) {
            failed(e);
            return -1L;
        }
    }

    /**
     * Bytes the virtual thread with this id has allocated since it first asked, read from another
     * thread: its finished mounts, plus its carrier's bytes since the current mount when mounted. -1 when
     * it never asked, has ended, or kept changing carriers during the read.
     */
    public static long threadAllocatedBytes(long id) {
        try {
            if (!installed || id <= 0) {
                return -1L;
            }
            for (int attempt = 0; attempt < 8; attempt++) {
                int slot = find(id);
                if (slot < 0) {
                    return -1L;
                }
                int d = slot * STRIDE;
                long s1 = (long) LONGS.getAcquire(DATA, d + SEQ);
                if ((s1 & 1) != 0) {
                    Thread.onSpinWait();
                    continue;
                }
                long accum = (long) LONGS.getOpaque(DATA, d + ACCUM);
                long mount = (long) LONGS.getOpaque(DATA, d + MOUNT);
                long carrier = (long) LONGS.getOpaque(DATA, d + CARRIER);
                long value = accum;
                if (mount >= 0) {
                    long now = carrier > 0 ? (long) ALLOCATED.invokeExact(carrier) : -1L;
                    if (now < mount) {
                        continue;
                    }
                    value = accum + (now - mount);
                }
                VarHandle.loadLoadFence();
                long s2 = (long) LONGS.getOpaque(DATA, d + SEQ);
                if (s1 == s2 && (long) LONGS.getAcquire(KEYS, slot) == id) {
                    return value;
                }
            }
            return -1L;
        } catch (Throwable e) {
            failed(e);
            return -1L;
        }
    }

    /** Whether the virtual thread with this id holds a slot. */
    public static boolean tracked(long id) {
        return installed && find(id) >= 0;
    }

    // ---- the table ----

    private static int bucket(long id) {
        long h = id * 0x9E3779B97F4A7C15L;
        return ((int) (h >>> 40) & BUCKET_MASK) * WAYS;
    }

    private static int find(long id) {
        int b = bucket(id);
        long[] keys = KEYS;
        for (int i = b; i < b + WAYS; i++) {
            if (keys[i] == id) {
                return i;
            }
        }
        return -1;
    }

    private static boolean register(long id, long now) throws Throwable {
        int b = bucket(id);
        for (int i = b; i < b + WAYS; i++) {
            if ((long) LONGS.getOpaque(KEYS, i) == 0L && LONGS.compareAndSet(KEYS, i, 0L, CLAIMED)) {
                Thread carrier = (Thread) CURRENT_CARRIER.invokeExact();
                int d = i * STRIDE;
                long seq = DATA[d + SEQ];
                LONGS.setOpaque(DATA, d + SEQ, seq + 1);
                VarHandle.storeStoreFence();
                DATA[d + ACCUM] = 0L;
                DATA[d + MOUNT] = now;
                DATA[d + CARRIER] = carrier == null ? 0L : carrier.getId();
                LONGS.setRelease(DATA, d + SEQ, seq + 2);
                LONGS.setRelease(KEYS, i, id);
                return true;
            }
        }
        full = true;
        return false;
    }

    private static void failed(Throwable t) {
        if (hookFailure == null) {
            hookFailure = t; // a reference write: no allocation, whatever t is
        }
    }
}
