package dev.allocline.jersey;

/**
 * One thread's share of one request: from the moment the request's work starts on the thread to the
 * moment it leaves. Segments of one thread form a stack (a thread can run another request's work in
 * the middle of its own, e.g. an {@code AsyncResponse} resumed from inside a resource method, or an
 * in-process request): the segment below is paused while the one above runs, so no byte is counted
 * for two requests. Guarded by the owner's monitor, except {@link #below}, which only its thread reads.
 */
final class Segment {
    final RequestAccounting owner;
    final Thread thread;
    Segment below;
    /** Counter value when this segment last started or resumed; -1 when unreadable. */
    long start;
    /** True while the thread is inside the resource method or a wrapped task, where it provably works for the owner. */
    boolean inMethod;
    boolean closed;
    /** Next open segment of the same owner. */
    Segment nextOpen;

    Segment(RequestAccounting owner, Thread thread, Segment below, long start) {
        this.owner = owner;
        this.thread = thread;
        this.below = below;
        this.start = start;
    }
}
