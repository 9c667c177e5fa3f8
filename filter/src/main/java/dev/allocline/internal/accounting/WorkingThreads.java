package dev.allocline.internal.accounting;

import dev.allocline.internal.meter.ThreadAllocationCounter;
import dev.allocline.internal.profile.RequestThreads;
import java.lang.ref.WeakReference;
import java.util.Arrays;

/**
 * Where each thread keeps the top of its stack of segments (what {@link ThreadWork} keeps in a thread-local),
 * so that another thread can tell which threads work for a request right now: the sampling boost's poll
 * ({@link RequestThreads}). The calling thread pays what a thread-local costs today, one lookup and one write
 * per change of its top; the first change on a platform thread also registers it, once in the thread's life.
 * The poll reads the slots without a lock and without allocating.
 *
 * <p>A thread's slot is an {@code Object[2]} holding its top segment ({@code slot[0]}, null while it works for no
 * request) and the thread itself ({@code slot[1]}, written once, before any segment refers to the slot: each segment
 * keeps its thread's slot instead of the thread, the same size as an {@code Object[1]}). A JDK type, so a pooled
 * container thread keeps nothing of the library's classes in its thread-local map after its last request (an instance of a class of the library would pin a web application's class loader after
 * an undeploy, until the map happened to expunge the entry).
 *
 * <p>Threading: {@link #top()} and {@link #top(Segment)} act on the calling thread's own slot; {@link #of}'s
 * listing is called from the poll's thread and reads every slot racily (a plain element: a thread entering or leaving a
 * moment later is seen at the next poll); registration is synchronized. The registry holds slots weakly: a
 * thread that ends takes its slot with it. Virtual threads get a slot that is never registered (no counter of
 * theirs can be read from another thread). Not API.
 */
final class WorkingThreads {

    private static final ThreadLocal<Object[]> SLOTS = new ThreadLocal<>();

    /** The registered slots and their threads' ids; replaced whole at each registration, read without a lock. */
    private static volatile Registered registered = new Registered(newArray(0), new long[0]);

    private record Registered(WeakReference<Object[]>[] slots, long[] threadIds) {
    }

    private WorkingThreads() {
    }

    /** The calling thread's top segment, or null; makes no slot. */
    static Segment top() {
        Object[] slot = SLOTS.get();
        return slot == null ? null : (Segment) slot[0];
    }

    /**
     * The calling thread's slot ({@code slot[0]} is its top segment), made the first time: {@link ThreadWork} looks it
     * up once per enter or leave and reads and writes the top through it (one thread-local lookup, not one per step).
     */
    static Object[] slot() {
        Object[] slot = SLOTS.get();
        return slot != null ? slot : slotOfCurrentThread();
    }

    /** The calling thread's slot, or null when it never had one; makes none. */
    static Object[] existingSlot() {
        return SLOTS.get();
    }

    /** Sets the calling thread's top segment (null when it leaves its last one); its slot is made the first time. */
    static void top(Segment top) {
        Object[] slot = SLOTS.get();
        if (slot == null) {
            if (top == null) {
                return;
            }
            slot = slotOfCurrentThread();
        }
        slot[0] = top;
    }

    /**
     * The platform threads that work for a request of {@code runtime} now, as its sampling boost's poll reads
     * them: each application's boost is raised by its own requests, and spends its own duty cycle on them.
     */
    static RequestThreads of(AllocLineRuntime runtime) {
        return new RequestThreads() {
            @Override
            public int working(long[] ids) {
                return WorkingThreads.working(runtime, ids, null);
            }

            @Override
            public int working(long[] ids, long[] starts) {
                return WorkingThreads.working(runtime, ids, starts);
            }
        };
    }

    /**
     * See {@link RequestThreads#working(long[])}: the threads whose top open segment is one of {@code runtime}'s.
     * A closed segment stays on top of its thread until the thread next enters or leaves (its request finished
     * elsewhere): it is skipped as {@link ThreadWork#current()} skips it, through the final {@code below} links
     * and the volatile {@code closed} flags, both safe to read from this thread.
     */
    private static int working(AllocLineRuntime runtime, long[] ids, long[] starts) {
        Registered r = registered;
        WeakReference<Object[]>[] slots = r.slots();
        int n = 0;
        for (int i = 0; i < slots.length; i++) {
            Object[] slot = slots[i].get();
            Segment s = slot == null ? null : (Segment) slot[0];
            while (s != null && s.closed) {
                s = s.below;
            }
            if (s != null && s.owner.runtime == runtime) {
                if (n < ids.length) {
                    ids[n] = r.threadIds()[i];
                    if (starts != null) {
                        starts[n] = s.start; // racy but a whole long; a torn or stale value only moves the baseline
                    }
                }
                n++;
            }
        }
        return n;
    }

    private static Object[] slotOfCurrentThread() {
        Thread t = Thread.currentThread();
        Object[] slot = new Object[2];
        slot[1] = t;
        SLOTS.set(slot);
        if (!ThreadAllocationCounter.isVirtual(t)) {
            register(slot, t.getId());
        }
        return slot;
    }

    /** Adds a thread's slot, dropping those of threads that have ended; once per platform thread. */
    private static synchronized void register(Object[] slot, long threadId) {
        Registered old = registered;
        WeakReference<Object[]>[] slots = newArray(old.slots().length + 1);
        long[] ids = new long[slots.length];
        int n = 0;
        for (int i = 0; i < old.slots().length; i++) {
            if (old.slots()[i].get() != null) {
                slots[n] = old.slots()[i];
                ids[n++] = old.threadIds()[i];
            }
        }
        slots[n] = new WeakReference<>(slot);
        ids[n++] = threadId;
        registered = new Registered(Arrays.copyOf(slots, n), Arrays.copyOf(ids, n));
    }

    @SuppressWarnings("unchecked")
    private static WeakReference<Object[]>[] newArray(int n) {
        return (WeakReference<Object[]>[]) new WeakReference<?>[n];
    }
}
