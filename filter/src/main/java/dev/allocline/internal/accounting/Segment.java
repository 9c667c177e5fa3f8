package dev.allocline.internal.accounting;

/**
 * One thread's share of one request: from the moment the request's work starts on the thread to the
 * moment it leaves. Segments of one thread form a stack (a thread can run another request's work in
 * the middle of its own, e.g. an {@code AsyncResponse} resumed from a resource method, or an in-process
 * request): the segment below is paused while the one above runs, so no byte is counted for two
 * requests. Only a bracketed segment, or one of the same request as the work above it, is ever resumed
 * (see {@link ThreadWork}). Fields are guarded by the owner's monitor, except those marked as its
 * thread's own.
 */
final class Segment {
    final Request owner;
    /**
     * Its thread's {@link WorkingThreads} slot ({@code slot[1]} is the thread): a thread that finds one of its own
     * segments reaches its stack without a thread-local lookup ({@link ThreadWork}), at no extra field.
     */
    final Object[] slot;
    /** The thread's previous top; only its thread reads it. */
    final Segment below;
    /** Counter value when this segment last started, resumed or was reopened; -1 when unreadable. */
    long start;
    /**
     * Whether the entry point that opened it sees its thread leave (Jersey's events, Quarkus' runs and Vert.x
     * dispatches, a wrapped task): while such a segment is open its thread provably works for the owner, so it may
     * be read from another thread and resumed after nested work. An unbracketed segment (the standard filters, which
     * see no method return) counts only what its own thread closes; found under another request's work, or open
     * on another thread at the end, it is dropped uncounted and the line says {@code alloc_partial}.
     * Set before the segment is published; final in effect.
     */
    final boolean bracketed;
    /** True while another request's segment runs above this one on its thread: its bytes are not the owner's. */
    boolean paused;
    /**
     * How many stretches nested in it hold it besides the one that opened it ({@link ThreadWork#enterStretch}: a
     * dispatch on the request's Vert.x context inside another, or inside a run of its handler chain); only its
     * thread touches it.
     */
    int holds;
    /** When the current span of work began ({@code System.nanoTime}); kept only while profiling. */
    long since;
    /** Volatile: a thread reads it without the owner's monitor when it unwinds its own stack. */
    volatile boolean closed;
    /** Next open segment of the same owner. */
    Segment nextOpen;
    /** The JFR event of the stretch its thread is in now ({@link StretchEvents}), or null; only its thread touches it. */
    Object stretch;
    /** Whether it entered in its request's own logging context (which keeps the id): nothing to restore. Its thread's. */
    boolean inOwnContext;
    /** The logging-context values this segment replaced on its thread; only its thread touches them. */
    String previousLog4j;
    String previousSlf4j;

    Segment(Request owner, Object[] slot, Segment below, long start, boolean bracketed) {
        this.owner = owner;
        this.slot = slot;
        this.below = below;
        this.start = start;
        this.bracketed = bracketed;
    }

    /** The thread this segment is a share of. */
    Thread thread() {
        return (Thread) slot[1];
    }

    /**
     * Makes this closed segment, which is off its thread's stack and held by nothing but {@link Request#spare}, a
     * new one of the same request on the same thread over the same segment, starting at {@code start}: as if
     * constructed again. Its thread's own call, before the segment is linked (the link publishes it).
     */
    Segment reopen(long start) {
        this.start = start;
        this.paused = false;
        this.holds = 0;
        this.since = 0;
        this.nextOpen = null;
        this.stretch = null;
        this.inOwnContext = false;
        this.previousLog4j = null;
        this.previousSlf4j = null;
        this.closed = false;
        return this;
    }
}
