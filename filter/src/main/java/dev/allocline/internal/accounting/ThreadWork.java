package dev.allocline.internal.accounting;

/**
 * The calling thread's side of the accounting, with one rule: a thread <em>enters</em> a request when it
 * starts working for it and <em>leaves</em> when it stops. Every entry point (Jersey's events, the
 * standard filters, a wrapped task) says only that; what entering and leaving mean is decided here and
 * nowhere else: the counter is read on the calling thread (~20 ns, no safepoint), the request's id goes
 * into the thread's logging context and the previous value comes back when it leaves, and a request
 * that ran above another on the same thread pauses the one below, so no byte counts for two requests.
 *
 * <p>Whether a thread may still be working for a request is never guessed here from how a method is
 * declared; two invariants hold for every entry point:
 * <ol>
 * <li>A segment is counted by another thread, or resumed after other work on its own thread, only when it is
 *     <em>bracketed</em>: its entry point sees its thread leave (Jersey's events, where the thread always leaves
 *     when the resource method returns; Quarkus' runs and its dispatches on a request's Vert.x context; a wrapped
 *     task). Such a segment is closed by the entry point before the runtime can give its thread away, so while it
 *     is open its thread works for the request.</li>
 * <li>An unbracketed segment (the standard filters, which see no method return) is the request's only while its
 *     own thread keeps working for it: when the thread starts work for another request, the segment is closed
 *     <em>without counting</em> (what the thread did since may be anything), the request stays open for its
 *     real end, and its line says {@code alloc_partial=thread_left}. Only work of the same request (its own
 *     wrapped task run inline) is resumed over it. So the worst case is an under-count of the request's own
 *     work, flagged, never another request's or the pool's work.</li>
 * </ol>
 *
 * <p>Threading: every method acts on the calling thread's own stack of segments (its top is kept in the thread's
 * {@link WorkingThreads} slot, a thread-local the sampling boost's poll can also read);
 * a request's totals are guarded by that request's monitor, and no method holds two requests' monitors.
 *
 * <p>Hygiene: leaving the last segment clears the thread-local (the entry stays, holding null, so the
 * next request does not allocate a new one; it refers to nothing of the request or the application),
 * and nothing is pushed for a request that has finished, so no thread keeps a reference to a request
 * (and, on a servlet container, to the web application's class loader) after its work for it is done.
 * Not API.
 */
public final class ThreadWork {

    /**
     * Test seam: run by {@link #push} between the request's accepting the segment (its monitor block) and
     * the thread's publishing it, the window where a finish on another thread can close it. Null outside
     * tests (a plain static field: one load and a branch per push, no fence).
     */
    static Runnable afterOpen;

    private ThreadWork() {
    }

    /** The request whose work the calling thread is doing right now, or null. */
    public static Request current() {
        Segment s = live(WorkingThreads.top());
        return s == null ? null : s.owner;
    }

    /**
     * The calling thread starts (or goes on) working for {@code r}: a segment is opened unless {@code r}'s
     * is already on top, bracketed or not as {@code r}'s entry point sees its threads ({@link Request.Sight}).
     */
    public static void enter(Request r) {
        Object[] slot = slot(r);
        Segment top = (Segment) slot[0];
        if (top != null && top.owner == r && !top.closed) {
            return; // Jersey fires ~10 events per request on the same thread: nothing changes for most
        }
        push(slot, r, r.bracketed, true);
    }

    /**
     * The calling thread starts a task for {@code r} handed over by {@code AllocLine.wrap}; returns the
     * token for {@link #leave(Object)}, or null when the request has already finished (the work then
     * counts for no one). Bracketed: the wrapper sees the task end.
     */
    public static Object enterTask(Request r) {
        return push(WorkingThreads.slot(), r, true, false);
    }

    /**
     * The calling thread starts a stretch of work for {@code r} that its entry point ends with {@link #leaveStretch}
     * on this thread, after every stretch begun inside it has ended (a dispatch on the request's Vert.x context:
     * Vert.x begins and ends its dispatches strictly nested). Bracketed. A stretch begun while {@code r}'s segment
     * is already on top (a dispatch inside another of the same request, or inside a run of its handler chain)
     * joins that segment instead of opening one: the segment is closed by whichever began it, never early by a
     * nested stretch, and no byte is counted twice. After {@code r}'s line nothing is opened.
     */
    public static void enterStretch(Request r) {
        Object[] slot = slot(r);
        Segment top = (Segment) slot[0];
        if (top != null && top.owner == r && !top.closed) {
            top.holds++;
            return;
        }
        push(slot, r, true, false);
    }

    /**
     * Ends a stretch begun with {@link #enterStretch}: the segment it joined is released, the one it opened is
     * closed. Nothing when {@code r}'s segment is gone already (its line was written on this thread inside the
     * stretch, or the stretch began after the line and opened nothing).
     */
    public static void leaveStretch(Request r) {
        Object[] slot = existingSlot(r);
        Segment s = slot == null ? null : (Segment) slot[0];
        while (s != null && s.owner != r) {
            s = s.below;
        }
        if (s == null) {
            return;
        }
        if (s.holds > 0) {
            s.holds--;
        } else {
            leave(slot, s);
        }
    }

    /** The calling thread stops working for {@code r}: its segment of {@code r}, if any, is closed. */
    public static void leave(Request r) {
        Object[] slot = existingSlot(r);
        Segment s = slot == null ? null : (Segment) slot[0];
        while (s != null && s.owner != r) {
            s = s.below;
        }
        if (s != null) {
            leave(slot, s);
        }
    }

    /** Ends a task started with {@link #enterTask}; null is ignored. */
    public static void leave(Object token) {
        if (token == null) {
            return;
        }
        Segment s = (Segment) token;
        leave(s.slot[1] == Thread.currentThread() ? s.slot : WorkingThreads.slot(), s); // a task ends where it began
    }

    /** The calling thread's slot, made the first time; see {@link #ownSlot}. */
    private static Object[] slot(Request r) {
        Object[] slot = ownSlot(r);
        return slot != null ? slot : WorkingThreads.slot();
    }

    /** The calling thread's slot, or null when it never had one (none is made); see {@link #ownSlot}. */
    private static Object[] existingSlot(Request r) {
        Object[] slot = ownSlot(r);
        return slot != null ? slot : WorkingThreads.existingSlot();
    }

    /**
     * The calling thread's slot through {@code r}'s {@link Request#spare} when that segment is this thread's, else
     * null. Jersey fires ~10 events per request on the thread that entered it, and each enters or leaves: all but the
     * first skip the thread-local lookup (profiled at ~190 ns per request in all). A slot belongs to one thread for
     * the thread's life ({@link WorkingThreads} never removes one), so the slot a segment of this thread keeps is the
     * one its thread-local holds. {@code spare} is read racily: a segment of another thread, or a stale one of this
     * thread's, is told apart by its slot's thread, an element written before the segment was made and reached
     * through a final field.
     */
    private static Object[] ownSlot(Request r) {
        Segment hint = r.spare;
        if (hint != null) {
            Object[] slot = hint.slot;
            if (slot[1] == Thread.currentThread()) {
                return slot;
            }
        }
        return null;
    }

    /** Closes {@code s}, a segment in the calling thread's stack ({@code slot}), and unwinds what it can. */
    private static void leave(Object[] slot, Segment s) {
        long now = s.owner.read();
        s.owner.close(s, now);
        if (slot[0] != s) {
            // Another request's segment runs above it: s stays in the stack, closed, and its logging context
            // is put back when the thread unwinds to it, never while the request above still works here.
            return;
        }
        Segment below = unwind(slot, null); // s and any closed segment under it, restoring each one's context
        if (below != null) {
            // Only a bracketed segment or one of s's own request is ever left under s (see push), so the
            // thread goes back to work that provably is below's.
            below.owner.resume(below, now);
        }
    }

    /** {@code r}'s bytes so far, with the calling thread's open segment of it; -1 when unavailable. */
    public static long allocatedSoFar(Request r) {
        Segment top = WorkingThreads.top();
        boolean here = top != null && top.owner == r;
        return r.allocatedSoFar(here ? top : null, here ? r.counterNow() : 0);
    }

    /**
     * Opens a segment of {@code r} on the calling thread. With {@code reuse} (a plain {@link #enter}), the segment
     * the last plain enter of {@code r} opened ({@link Request#spare}) is opened again when it is closed and would be
     * the same one: this thread's, right above the segment that is now this thread's top (so it is no longer in the
     * stack: the top is open and it is closed), same bracketing. Such a segment is referenced by nothing else (a
     * task's or a stretch's segment, which a token or a nested stretch may still name, is never a spare), and
     * reopened it counts from now exactly as a new object would: Jersey's thread leaves when the method returns
     * and comes back for the response, one segment instead of two.
     */
    private static Segment push(Object[] slot, Request r, boolean bracketed, boolean reuse) {
        long now = r.read();
        Segment below = unwind(slot, r);
        Segment spare = reuse ? r.spare : null;
        Segment s;
        if (spare != null && spare.closed && spare.slot == slot && spare.below == below
                && spare.bracketed == bracketed) {
            s = spare.reopen(now);
        } else {
            s = new Segment(r, slot, below, now, bracketed);
            if (reuse) {
                r.spare = s;
            }
        }
        if (!r.open(s, now)) {
            return null; // a late event or task: nothing of it may stay on the thread
        }
        Runnable hook = afterOpen;
        if (hook != null) {
            hook.run();
        }
        if (below != null) {
            below.owner.pause(below, now);
        }
        slot[0] = s;
        LoggingContext c = r.runtime.context;
        if (c != null) {
            c.enter(s, r.requestId());
        }
        if (s.closed) {
            // The request finished on another thread between open() and here (a late event): nothing of it
            // may stay. A finish after this check is a finish while this thread works for the request, and
            // the thread unwinds it at its next enter or leave, as for a wrapped task that outlives its request.
            leave(slot, s);
            return null;
        }
        return s;
    }

    /**
     * Pops what may not stay on top of the calling thread's stack and returns the first segment left, or null.
     * Always: closed segments (a request finished elsewhere while this thread was inside it must not leave its
     * id here). With {@code r} (work of {@code r} about to go on top; null when only leaving): every open
     * unbracketed segment of another request too, closed uncounted (its thread went on to other work without
     * its entry point seeing it leave: what the thread did since is not known to be the request's), so what
     * is returned is bracketed or {@code r}'s own. Each popped segment's logging context is put back. Nearly
     * always pops nothing and writes nothing.
     */
    private static Segment unwind(Object[] slot, Request r) {
        Segment first = (Segment) slot[0];
        Segment top = first;
        while (top != null && (top.closed || (r != null && !top.bracketed && top.owner != r))) {
            if (!top.closed) {
                top.owner.threadLeft(top);
            } else {
                StretchEvents.end(top); // closed from another thread: its thread's stretch ends here
            }
            LoggingContext c = top.owner.runtime.context;
            if (c != null) {
                c.exit(top);
            }
            top = top.below;
        }
        if (top != first) {
            slot[0] = top;
        }
        return top;
    }

    /** The calling thread's top segment, closed or not (for tests: {@link #current()} skips closed ones). */
    static Segment top() {
        return WorkingThreads.top();
    }

    /** {@code s} or the first segment below it that is still open; closed ones are stale. */
    private static Segment live(Segment s) {
        while (s != null && s.closed) {
            s = s.below;
        }
        return s;
    }
}
