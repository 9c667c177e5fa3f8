package dev.allocline.internal.accounting;

import dev.allocline.internal.log.Logging;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * Puts the request id in the logging context (Log4j2's {@code ThreadContext}, SLF4J's {@code MDC}) of
 * every thread while it works for the request, so the request's other log lines carry it, and puts
 * back the thread's previous value afterwards. The context written is that of the API the lines go
 * to ({@code ThreadContext} for Log4j2, {@code MDC} for SLF4J); bridges between the two carry it to the
 * other. Called by the segment's own thread only.
 *
 * <p>Where the context is not the thread's but the request's (Quarkus keeps the MDC in the request's Vert.x
 * duplicated context, which the event loop and the worker thread of one request share), a thread that leaves
 * must not take the id away from the request's other threads: there the id is removed only by the last of
 * the request's segments to leave. {@code sharedByRequest} says, on the calling thread, whether its context
 * is such a shared one.
 *
 * <p>Where the context is moreover the request's <em>own</em> ({@code ownedBy}: Quarkus' MDC while the current
 * Vert.x context is the request's duplicated one, where nothing but that request's work runs), the id is put the
 * first time one of its segments enters there and is left in it: each later stretch in it (every dispatch of a
 * reactive request's callbacks) writes and restores nothing, and its callbacks after the line still log with the
 * id. It is the context's value, not a thread's: no thread carries it to other work.
 */
final class LoggingContext {

    private final String key;
    private final boolean log4j;
    private final boolean slf4j;
    private final BooleanSupplier sharedByRequest;
    private final Predicate<Request> ownedBy;

    private LoggingContext(String key, boolean log4j, boolean slf4j, BooleanSupplier sharedByRequest,
            Predicate<Request> ownedBy) {
        this.key = key;
        this.log4j = log4j;
        this.slf4j = slf4j;
        this.sharedByRequest = sharedByRequest;
        this.ownedBy = ownedBy;
    }

    /**
     * A context writer for {@code key}, or null when the key is off or no context API is present;
     * {@code sharedByRequest} null when every thread has its own context, {@code ownedBy} null when no context is a
     * request's own.
     */
    static LoggingContext create(String key, BooleanSupplier sharedByRequest, Predicate<Request> ownedBy) {
        if (key == null) {
            return null;
        }
        boolean log4j = Logging.log4jContextUsable();
        boolean slf4j = Logging.slf4jContextUsable();
        return log4j || slf4j ? new LoggingContext(key, log4j, slf4j, sharedByRequest, ownedBy) : null;
    }

    /**
     * Called after the segment was linked into its request (under the request's monitor): that is what orders this
     * put after a shared-context exit that saw no open segment, so the put itself takes no lock.
     */
    void enter(Segment s, String requestId) {
        if (ownedBy != null && ownedBy.test(s.owner)) {
            s.inOwnContext = true;
            if (!s.owner.idInOwnContext) { // unsynchronized: at worst two threads put the same value
                s.owner.idInOwnContext = true;
                put(requestId);
            }
            return;
        }
        if (log4j) {
            s.previousLog4j = org.apache.logging.log4j.ThreadContext.get(key);
            org.apache.logging.log4j.ThreadContext.put(key, requestId);
        }
        if (slf4j) {
            s.previousSlf4j = org.slf4j.MDC.get(key);
            org.slf4j.MDC.put(key, requestId);
        }
    }

    void exit(Segment s) {
        if (s.inOwnContext) {
            return; // the id stays in the request's own context
        }
        if (sharedByRequest != null && sharedByRequest.getAsBoolean()) {
            // Under the request's monitor, under which its segments are linked before they put the id: a segment linked
            // after the check below puts the id after this removal, and one linked before it keeps the id here.
            synchronized (s.owner) {
                if (s.owner.hasOpenSegments()) {
                    return; // the request's other threads still work in this context: the id stays
                }
                String own = s.owner.requestId();
                if (own.equals(s.previousLog4j)) {
                    s.previousLog4j = null; // put by another of the request's segments, not the context's own value
                }
                if (own.equals(s.previousSlf4j)) {
                    s.previousSlf4j = null;
                }
                restore(s);
            }
        } else {
            restore(s);
        }
    }

    private void put(String requestId) {
        if (log4j) {
            org.apache.logging.log4j.ThreadContext.put(key, requestId);
        }
        if (slf4j) {
            org.slf4j.MDC.put(key, requestId);
        }
    }

    private void restore(Segment s) {
        if (log4j) {
            if (s.previousLog4j == null) {
                org.apache.logging.log4j.ThreadContext.remove(key);
            } else {
                org.apache.logging.log4j.ThreadContext.put(key, s.previousLog4j);
            }
        }
        if (slf4j) {
            if (s.previousSlf4j == null) {
                org.slf4j.MDC.remove(key);
            } else {
                org.slf4j.MDC.put(key, s.previousSlf4j);
            }
        }
    }
}
