package dev.allocline.internal.accounting;

import dev.allocline.internal.RateLimitedLog;
import java.util.ArrayDeque;

/**
 * Requests of the standard filters whose thread went on to another request before their end was seen
 * ({@link Request#threadLeft}). Most are still running (a result type the filters could not recognise as
 * asynchronous, completed later on another thread) and end normally, with the one line their real end writes.
 * A few never end for the filters (the runtime answered them outside the filter chain): those get an
 * {@code alloc_bytes=-1 alloc_unavailable=end_not_seen} line once they have been pending for
 * {@link #TIMEOUT_NANOS}, or at once when more than {@link #MAX} are pending (oldest first), or when the
 * application stops. A request that ends after its sweep keeps the sweep's line (one line per request).
 *
 * <p>Bounded in memory and time: at most {@link #MAX} entries, swept in arrival order. Threading: called
 * from request threads; guarded by this object's monitor, which is taken only when something is pending.
 */
final class PendingRequests {

    /** How long a request may stay pending before its end is taken as never coming: 10 minutes. */
    static final long TIMEOUT_NANOS = 10L * 60 * 1_000_000_000L;
    /** Most requests kept pending; past it the oldest gets its {@code end_not_seen} line at once. */
    static final int MAX = 4096;

    private final RateLimitedLog failures;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    /** How many are queued; read without the monitor so that the common case takes none. */
    private volatile int size;

    PendingRequests(RateLimitedLog failures) {
        this.failures = failures;
    }

    void add(Request r, long nowNanos) {
        Request overflow = null;
        synchronized (this) {
            entries.addLast(new Entry(r, nowNanos));
            if (entries.size() > MAX) {
                overflow = entries.pollFirst().request;
            }
            size = entries.size();
        }
        if (overflow != null) {
            end(overflow);
        }
    }

    /** Whether any request is pending: one volatile read. */
    boolean any() {
        return size != 0;
    }

    void sweep(long nowNanos) {
        sweep(nowNanos, false);
    }

    void endAll() {
        sweep(0L, true);
    }

    private void sweep(long nowNanos, boolean all) {
        if (size == 0) {
            return;
        }
        while (true) {
            Request due;
            synchronized (this) {
                Entry head = entries.peekFirst();
                if (head == null || !(all || head.request.isFinished() || nowNanos - head.sinceNanos >= TIMEOUT_NANOS)) {
                    return;
                }
                due = entries.pollFirst().request;
                size = entries.size();
            }
            end(due);
        }
    }

    private record Entry(Request request, long sinceNanos) {
    }

    private void end(Request r) {
        try {
            r.endNotSeen(); // nothing when its line was written meanwhile
        } catch (RuntimeException | LinkageError e) {
            failures.warn("pending", "allocline: could not write the line of request " + r.requestId()
                    + ", whose end was not seen: " + e, e);
        }
    }
}
