package dev.allocline.line;

/**
 * Where canonical lines go: Log4j2 ({@link Log4j2Sink}), a metrics registry, a test's list. Called once
 * per request on the thread that finished it, after the response was written; it should be quick. A
 * sink that throws is contained: the failure is logged (rate-limited) and the request is unaffected.
 */
@FunctionalInterface
public interface CanonicalLineSink {

    /** Receives one request's line. */
    void accept(CanonicalLine line);
}
