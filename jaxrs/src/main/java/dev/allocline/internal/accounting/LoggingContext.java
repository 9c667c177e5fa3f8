package dev.allocline.internal.accounting;

import dev.allocline.internal.log.Logging;

/**
 * Puts the request id in the logging context (Log4j2's {@code ThreadContext}, SLF4J's {@code MDC}) of
 * every thread while it works for the request, so the request's other log lines carry it, and puts
 * back the thread's previous value afterwards. The context written is that of the API the lines go
 * to ({@code ThreadContext} for Log4j2, {@code MDC} for SLF4J); bridges between the two carry it to the
 * other. Called by the segment's own thread only.
 */
final class LoggingContext {

    private final String key;
    private final boolean log4j;
    private final boolean slf4j;

    private LoggingContext(String key, boolean log4j, boolean slf4j) {
        this.key = key;
        this.log4j = log4j;
        this.slf4j = slf4j;
    }

    /** A context writer for {@code key}, or null when the key is off or no context API is present. */
    static LoggingContext create(String key) {
        if (key == null) {
            return null;
        }
        boolean log4j = Logging.log4jContextUsable();
        boolean slf4j = Logging.slf4jContextUsable();
        return log4j || slf4j ? new LoggingContext(key, log4j, slf4j) : null;
    }

    void enter(Segment s, String requestId) {
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
