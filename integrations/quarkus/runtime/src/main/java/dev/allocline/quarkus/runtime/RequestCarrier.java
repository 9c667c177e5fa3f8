package dev.allocline.quarkus.runtime;

/**
 * Implemented at build time, with a volatile field behind it, by the two classes that carry a request's accounting
 * to the threads that work for it after its start. Quarkus REST's request context: for the runs of its handler
 * chain after the first, which read this field instead of the routing context's data map (a plain
 * {@code HashMap} the event loop may be writing); the hand-over between threads goes through Quarkus' own
 * executors, which order the field's write before the next run. Vert.x's duplicated context: for every dispatch
 * on the request's context ({@link DispatchHooks}); set on the event loop inside the request's first dispatch,
 * before anything of the request can be dispatched there or elsewhere. Not API.
 */
public interface RequestCarrier {

    /**
     * What the carrier holds: on Quarkus REST's context the request, {@link RunHooks#NONE}, or null before the first
     * run; on a duplicated context the request, or null.
     */
    Object allocline$request();

    void allocline$request(Object request);
}
