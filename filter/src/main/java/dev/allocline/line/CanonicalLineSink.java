package dev.allocline.line;

/**
 * Where canonical lines go: Log4j2 ({@link Log4j2Sink}), SLF4J ({@link Slf4jSink}), a metrics registry,
 * a test's list. Threading: called concurrently from request threads, once per request on the thread
 * that finished it, after the response was written; it must be thread-safe and must not block. A sink
 * that throws is contained: the failure is logged (rate-limited) and the request is unaffected.
 */
@FunctionalInterface
public interface CanonicalLineSink {

    /** Receives one request's line. */
    void accept(CanonicalLine line);
}
