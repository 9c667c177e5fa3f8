package dev.allocline.agent.hook;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;

/**
 * Allocated-bytes counters for virtual threads, kept by hooks the agent puts into
 * {@code java.lang.VirtualThread}: the carrier's own counter (exact, readable whatever thread is current
 * because HotSpot counts per OS thread) is read when a virtual thread mounts and when it unmounts, and the
 * difference is credited to the virtual thread. The read is three loads from the carrier's HotSpot
 * {@code JavaThread} when this class's initialiser found where HotSpot keeps the counter ({@link ThreadCounterLayout})
 * and its check agreed with the JNI read ({@link #counterRead()}), else the JNI read (~10-35 ns each). A virtual thread's bytes are then the
 * sum over its mounts of what its carriers allocated while it was mounted, plus, while it is mounted,
 * what the carrier allocated since this mount.
 *
 * <p>Defined in the bootstrap class loader by the agent, so that {@code VirtualThread} can call it; the
 * library finds it there reflectively. It uses nothing but the JDK. Its module, {@code dev.allocline.agent.hook},
 * is a named module the agent defines to the bootstrap loader: java.base exports {@code jdk.internal.misc} and
 * {@code jdk.internal.access}, and java.management opens {@code sun.management}, to it alone, and it opens nothing
 * (its package to the agent's definer module only), so no other code can take the {@code Unsafe} it holds from its
 * fields. Public here are the reads, the hooks {@code VirtualThread} calls, and diagnostics.
 *
 * <p>Where the state lives: {@code VirtualThread} is loaded from the CDS archive before any agent runs, and
 * a retransformation cannot add fields, so a virtual thread's counter lives in a table allocated once,
 * here. Only threads that asked for their bytes ({@link #currentThreadAllocatedBytes}, i.e. those that
 * took a request's baseline) get a slot; their counter starts at that first read, which is all a
 * difference of two reads needs. The slot is freed when the thread terminates. Slots sit in buckets of
 * {@value #WAYS} keyed by thread id, with a count of taken slots per bucket: a miss (most virtual threads
 * never ask) costs a hash and one load when the bucket is empty, eight compares more when it is not.
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
    /** Longs of data per slot: eight, one cache line, so carriers writing neighbouring slots do not share one. */
    private static final int STRIDE = 8;
    private static final int SEQ = 0;
    private static final int ACCUM = 1;
    private static final int MOUNT = 2;
    private static final int CARRIER = 3;
    /** The address of the carrier's HotSpot {@code JavaThread} while mounted (its {@code eetop}), for the memory read. */
    private static final int NATIVE_CARRIER = 4;
    /** A key while its slot is being set up: no lookup matches it. */
    private static final long CLAIMED = -1L;
    /** Calls per handle before the hooks may run: past java.lang.invoke's customisation threshold (at most 127). */
    private static final int WARM_UP = 256;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle TAKEN_COUNT = MethodHandles.arrayElementVarHandle(int[].class);
    /** {@code sun.management.ThreadImpl.getThreadAllocatedMemory0(long)}: 0 = the current OS thread. */
    private static final MethodHandle ALLOCATED;
    /** {@code JavaLangAccess.currentCarrierThread()}, bound; only used when a thread first asks. */
    private static final MethodHandle CURRENT_CARRIER;
    private static final Class<?> VIRTUAL_THREAD;
    private static final String PROBLEM;
    /** {@code Unsafe.getLong(long)} and {@code getLong(Object, long)}, bound; null without the memory read. */
    private static final MethodHandle PEEK;
    private static final MethodHandle PEEK_FIELD;
    /** Whether the carrier's counter is read from its {@code JavaThread}'s memory rather than through JNI. */
    private static final boolean DIRECT;
    private static final String READ;
    private static final long EETOP;
    private static final long ALLOCATED_BYTES;
    private static final long TLAB_START;
    private static final long TLAB_TOP;
    private static final int BUCKET_MASK;
    private static final long[] KEYS;
    /** Slots taken per bucket: a lookup in an empty bucket (most of them) stops after this one load. */
    private static final int[] TAKEN;
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
        // From the agent's options only, not from a system property, which any code could have set.
        int slots = Math.max(WAYS, Math.min(1 << 24, Settings.slots));
        MethodHandle peek = null;
        MethodHandle peekField = null;
        long[] layout = null;
        String read;
        if (problem != null) {
            read = "none";
        } else if (Settings.jniRead) {
            read = "jni: read=jni";
        } else {
            ThreadCounterLayout found = ThreadCounterLayout.find();
            if (found.problem != null) {
                read = "jni: " + found.problem;
            } else {
                try {
                    layout = new long[] {found.eetop, found.allocatedBytes, found.tlabStart, found.tlabTop};
                    Class<?> unsafeClass = Class.forName("jdk.internal.misc.Unsafe", false, null);
                    MethodHandles.Lookup lookup = MethodHandles.lookup();
                    Object unsafe = lookup.findStatic(unsafeClass, "getUnsafe", MethodType.methodType(unsafeClass)).invoke();
                    peek = lookup.findVirtual(unsafeClass, "getLong", MethodType.methodType(long.class, long.class)).bindTo(unsafe);
                    peekField = lookup.findVirtual(unsafeClass, "getLong",
                            MethodType.methodType(long.class, Object.class, long.class)).bindTo(unsafe);
                    read = verify(allocated, peek, peekField, layout);
                } catch (Throwable t) {
                    read = "jni: the memory read could not be set up (" + t + ")";
                }
            }
            if (!read.equals("memory")) {
                peek = null;
                peekField = null;
                layout = null;
            }
        }
        PEEK = peek;
        PEEK_FIELD = peekField;
        DIRECT = layout != null;
        READ = read;
        EETOP = layout == null ? 0 : layout[0];
        ALLOCATED_BYTES = layout == null ? 0 : layout[1];
        TLAB_START = layout == null ? 0 : layout[2];
        TLAB_TOP = layout == null ? 0 : layout[3];
        int buckets = Integer.highestOneBit(Math.max(1, (slots + WAYS - 1) / WAYS - 1)) << 1;
        ALLOCATED = allocated;
        CURRENT_CARRIER = carrier;
        VIRTUAL_THREAD = vt;
        PROBLEM = problem;
        BUCKET_MASK = buckets - 1;
        KEYS = new long[buckets * WAYS];
        TAKEN = new int[buckets];
        DATA = new long[buckets * WAYS * STRIDE];
        if (problem == null) {
            warmUp();
        }
    }

    private VirtualThreadCounters() {
    }

    // ---- the agent ----

    /** Why the hooks cannot work on this JDK, or null when they can; asked by the agent before it transforms. */
    public static String problem() {
        return PROBLEM;
    }

    /** Called by the agent (through its definer module) once {@code VirtualThread} carries the hooks. */
    static void markInstalled() {
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

    /**
     * How the hooks read the carrier's counter: "memory" (from HotSpot's {@code JavaThread}, at offsets the
     * initialiser found in HotSpot's structure table and checked against the JNI read), or "jni: " and why not.
     */
    public static String counterRead() {
        return READ;
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
            Thread carrier = Thread.currentThread();
            long jt = nativeThread(carrier);
            long now = carrierBytes(jt);
            int d = slot * STRIDE;
            long seq = DATA[d + SEQ];
            LONGS.setOpaque(DATA, d + SEQ, seq + 1);
            VarHandle.storeStoreFence();
            DATA[d + MOUNT] = now;
            DATA[d + CARRIER] = carrier.getId();
            DATA[d + NATIVE_CARRIER] = jt;
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
            int d = slot * STRIDE;
            long now = carrierBytes(DATA[d + NATIVE_CARRIER]);
            long seq = DATA[d + SEQ];
            LONGS.setOpaque(DATA, d + SEQ, seq + 1);
            VarHandle.storeStoreFence();
            long mount = DATA[d + MOUNT];
            if (mount >= 0 && now >= mount) {
                DATA[d + ACCUM] += now - mount;
            }
            DATA[d + MOUNT] = -1L;
            DATA[d + NATIVE_CARRIER] = 0L;
            LONGS.setRelease(DATA, d + SEQ, seq + 2);
            if (done) {
                LONGS.setRelease(KEYS, slot, 0L);
                TAKEN_COUNT.getAndAdd(TAKEN, slot / WAYS, -1);
            }
        } catch (Throwable t) {
            failed(t);
        }
    }

    /** The address of {@code carrier}'s HotSpot {@code JavaThread} for the memory read, or 0 when the hooks read through JNI. */
    private static long nativeThread(Thread carrier) throws Throwable {
        return DIRECT ? (long) PEEK_FIELD.invokeExact((Object) carrier, EETOP) : 0L;
    }

    /**
     * The bytes the OS thread running this code has allocated: read from its {@code JavaThread} at {@code jt}
     * (the retired TLABs' bytes plus the current TLAB's used part, which is what HotSpot's own read adds up),
     * or through JNI when there is no such address. Only this thread and a safepoint move those fields, but
     * a safepoint (a GC retires every TLAB) or an allocation the JVM makes on this thread can fall between
     * the loads, so the retired bytes are loaded again last: a TLAB that was retired and replaced in between
     * always changed them (retiring adds its used part), and the read is taken again.
     */
    private static long carrierBytes(long jt) throws Throwable {
        if (jt != 0L) {
            for (int attempt = 0; attempt < 4; attempt++) {
                long bytes = (long) PEEK.invokeExact(jt + ALLOCATED_BYTES);
                long start = (long) PEEK.invokeExact(jt + TLAB_START);
                long top = (long) PEEK.invokeExact(jt + TLAB_TOP);
                if ((long) PEEK.invokeExact(jt + ALLOCATED_BYTES) == bytes) {
                    return top > start ? bytes + (top - start) : bytes;
                }
            }
        }
        return (long) ALLOCATED.invokeExact(0L);
    }

    /**
     * "memory" when reading HotSpot's counter from memory at these offsets agrees with the JNI read on this
     * thread, across TLAB refills and an allocation outside a TLAB; else "jni: " and why not.
     */
    private static String verify(MethodHandle allocated, MethodHandle peek, MethodHandle peekField, long[] layout)
            throws Throwable {
        long jt = (long) peekField.invokeExact((Object) Thread.currentThread(), layout[0]);
        if (jt == 0L) {
            return "jni: this thread has no JavaThread address";
        }
        // First customise the handles, here: java.lang.invoke customises a handle the ~128th time it is invoked where
        // it is not a constant (the interpreter, C1), spinning classes on the calling thread (tens of KB). Later that
        // would happen inside a hook, on the mount path, and could refill the TLAB between a read's loads.
        for (int i = 0; i < WARM_UP; i++) {
            long a = (long) allocated.invokeExact(0L);
            long t = (long) peekField.invokeExact((Object) Thread.currentThread(), layout[0]);
            long p = (long) peek.invokeExact(jt + layout[1]);
            if (a < 0 || t != jt || p < 0) {
                return "jni: the counter's fields read implausibly (" + a + ", " + t + ", " + p + ")";
            }
        }
        Object keep = null; // one array live at a time: at most 2 MiB, whatever the heap
        for (int i = 0; i < 200; i++) {
            long before = (long) allocated.invokeExact(0L);
            long bytes = (long) peek.invokeExact(jt + layout[1]);
            long start = (long) peek.invokeExact(jt + layout[2]);
            long top = (long) peek.invokeExact(jt + layout[3]);
            long again = (long) peek.invokeExact(jt + layout[1]);
            long after = (long) allocated.invokeExact(0L);
            long read = top > start ? bytes + (top - start) : bytes;
            if (again != bytes || read < before || read > after) {
                return "jni: the memory read (" + read + ") disagrees with the JNI read (" + before + ".." + after + "; allocated "
                        + bytes + " then " + again + ", TLAB " + start + ".." + top + ", check " + i + ")";
            }
            // Move the counter between checks: small arrays fill and refill TLABs, a 2 MiB one may go outside them.
            keep = i % 50 == 49 ? new byte[2 << 20] : new byte[(i % 16 + 1) << 10];
        }
        return keep != null ? "memory" : "jni: unreachable";
    }

    /**
     * Runs every handle call the hooks and reads make, in the methods that make them, {@value #WARM_UP} times:
     * links their call sites and customises the handles now rather than on a mount or in a request's read.
     */
    private static void warmUp() {
        try {
            Thread self = Thread.currentThread();
            for (int i = 0; i < WARM_UP; i++) {
                carrierBytes(nativeThread(self));
                Thread carrier = (Thread) CURRENT_CARRIER.invokeExact();
                if (carrier != self) {
                    throw new IllegalStateException("the current carrier of a platform thread is " + carrier);
                }
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
            long id = t.getId();
            int slot = find(id);
            if (slot < 0) {
                return register(id) ? 0L : -1L;
            }
            // This thread is the only writer of its slot, and it is mounted: no torn read possible.
            int d = slot * STRIDE;
            long now = carrierBytes(DATA[d + NATIVE_CARRIER]);
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
        return (int) (h >>> 40) & BUCKET_MASK;
    }

    /**
     * The slot of {@code id}, or -1. Exact for the thread's own hooks and reads (the thread registered itself
     * before any of them, and a virtual thread's successive mounts are ordered by the scheduler's hand-offs);
     * another thread may miss a slot taken a moment ago, which only reads as "not asked yet".
     */
    private static int find(long id) {
        int bucket = bucket(id);
        if (TAKEN[bucket] == 0) {
            return -1;
        }
        int b = bucket * WAYS;
        long[] keys = KEYS;
        for (int i = b; i < b + WAYS; i++) {
            if (keys[i] == id) {
                return i;
            }
        }
        return -1;
    }

    private static boolean register(long id) throws Throwable {
        int b = bucket(id) * WAYS;
        for (int i = b; i < b + WAYS; i++) {
            if ((long) LONGS.getOpaque(KEYS, i) == 0L && LONGS.compareAndSet(KEYS, i, 0L, CLAIMED)) {
                Thread carrier = (Thread) CURRENT_CARRIER.invokeExact();
                long jt = carrier != null ? nativeThread(carrier) : 0L;
                long now = carrierBytes(jt);
                int d = i * STRIDE;
                long seq = DATA[d + SEQ];
                LONGS.setOpaque(DATA, d + SEQ, seq + 1);
                VarHandle.storeStoreFence();
                DATA[d + ACCUM] = 0L;
                DATA[d + MOUNT] = now;
                DATA[d + CARRIER] = carrier == null ? 0L : carrier.getId();
                DATA[d + NATIVE_CARRIER] = jt;
                LONGS.setRelease(DATA, d + SEQ, seq + 2);
                TAKEN_COUNT.getAndAdd(TAKEN, i / WAYS, 1); // before the key: whoever finds the key sees the count
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
