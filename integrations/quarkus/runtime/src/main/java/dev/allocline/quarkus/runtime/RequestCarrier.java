package dev.allocline.quarkus.runtime;

/**
 * Implemented by Quarkus REST's request context at build time (with a field behind it): where a request's
 * accounting is kept for the runs of its handler chain after the first. The first run reads it from the routing
 * context on the event loop that put it there; later runs, on worker and other threads, read this field instead
 * of the routing context's data map, which is a plain {@code HashMap} that the event loop may be writing. The
 * hand-over between threads goes through Quarkus' own executors, which order the field's write before the
 * next run. Not API.
 */
public interface RequestCarrier {

    /** What the first run found: the request, {@link RunHooks#NONE}, or null before the first run. */
    Object allocline$request();

    void allocline$request(Object request);
}
