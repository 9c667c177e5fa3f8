package dev.allocline.internal.accounting;

import dev.allocline.internal.line.LineFormat;
import dev.allocline.internal.profile.RequestWindow;
import dev.allocline.line.CanonicalLine;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One request's allocation accounting, whatever runtime reports its progress: the clock, the baseline,
 * the segments its threads opened (see {@link ThreadWork}, the only class that opens and closes them),
 * the running total, the application's fields, and what the line says about the request (method, path,
 * route, status). Entry points hold one of these and never extend it.
 *
 * <p>Threading: {@link #finish} and the setters may be called from any thread; state is guarded by this
 * object's monitor; no method ever holds two requests' monitors at once. A segment still open on another
 * thread when the request finishes is read remotely only when it is bracketed and not paused under other
 * work ({@link ThreadWork}): its thread then provably still works for this request. An unbracketed one is
 * dropped uncounted and the line says {@code alloc_partial=thread_left}: an under-count of the request's own
 * work, never a count of another's. Not API.
 */
public final class Request implements UnansweredRequest {

    /** Most application fields a line carries; puts past it are counted in {@code fields_dropped}. */
    public static final int MAX_FIELDS = 32;
    /** Longest application value kept, in chars; longer ones are cut and marked. */
    public static final int MAX_VALUE_CHARS = 1024;

    /** The {@code alloc_unavailable} reason of a request whose end was not seen. */
    public static final String END_NOT_SEEN = "end_not_seen";

    /**
     * The {@code alloc_partial} value of a request one of whose threads went on to other work without its
     * entry point seeing it leave: that thread's part is not counted, so the figure is at most the request's.
     */
    public static final String THREAD_LEFT = "thread_left";
    /** The reserved key of a line written before the servlet container sent the answer (see {@link Answer}). */
    static final String ANSWERED_BY = "answered_by";

    /** How much of a request's threads its entry point sees; fixed per entry point. */
    public enum Sight {
        /**
         * Every stretch, start and end: Jersey's request events (a thread always leaves when the resource
         * method returns), Quarkus' runs of the handler chain and dispatches on a request's Vert.x context.
         * Every segment is bracketed.
         */
        EVERY_STRETCH,
        /**
         * The standard filters: they see where work starts, not where a thread stops (no standard hook runs
         * when a resource method returns, and a runtime may answer outside the filters). Segments are
         * unbracketed, except wrapped tasks; a request can be left pending and is then swept.
         */
        STARTS
    }

    final AllocLineRuntime runtime;
    /** Whether its entry point sees {@link Sight#EVERY_STRETCH} (a boolean packs beside the others: 8 B less per request). */
    final boolean bracketed;
    private final String requestId;
    private final long startNanos;
    private final long processBaseline;

    /** What the line says of the request; set by the entry point from whichever thread sees it. */
    private volatile String method = "";
    private volatile String path = "";
    private volatile String route = "";
    private volatile int status;

    /**
     * Whether its id was put in its own logging context ({@link LoggingContext}: Quarkus' MDC in its duplicated
     * context); written unsynchronized by the first segment to enter there (a second put of the same value is harmless).
     */
    boolean idInOwnContext;
    // Guarded by this.
    /**
     * Counter reads for this request: each segment's opening and closing read its thread's counter once (the read
     * is counted in the monitor block that uses it: no atomic of its own on every stretch), a remote close once.
     */
    private int reads;
    private long bytes;
    private String unavailableReason;
    /** Whether a thread's part was dropped uncounted: the figure is an under-count ({@link #THREAD_LEFT}). */
    private boolean partDropped;
    private int threads;
    /** The first thread's id; the others' only when a request spreads (most never do). */
    private long firstThreadId;
    private long[] moreThreadIds;
    private Segment open;
    private boolean finished;
    private LinkedHashMap<String, Object> fields;
    /** Spans of work per thread, for the profile ({@link #spanLocked}); made at the first span, only when profiling. */
    private long[] spans;
    private int spanLongs;
    private int dropped;
    private boolean traced;
    /** The OpenTelemetry span current at the method's start, kept for its attributes; null when none or off. */
    private Object span;
    /**
     * The segment the last plain {@link ThreadWork#enter} of this request opened, which that thread opens again when
     * it comes back to the request right after leaving it (Jersey: the method returns, the response is written on
     * the same thread) instead of allocating a second one ({@link ThreadWork}'s push says when). Only the segment's
     * own thread takes it (it checks the thread), so a plain field: another thread may overwrite it, or read a stale
     * value it then does not take. Never shared between requests; dies with this one.
     */
    Segment spare;

    /**
     * Starts the clock and the process-wide baseline; {@link #begin()} takes the thread's baseline.
     *
     * @param sight how much of the request's threads its entry point sees
     */
    public Request(AllocLineRuntime runtime, String requestId, Sight sight) {
        this.runtime = runtime;
        this.requestId = requestId;
        this.bracketed = sight == Sight.EVERY_STRETCH;
        this.processBaseline = runtime.processTotal();
        this.startNanos = System.nanoTime();
    }

    /**
     * Takes the baseline: the calling thread enters the request. Call it after the request is stored
     * where the entry point keeps it, so a failure in between leaves nothing on the thread.
     */
    public void begin() {
        ThreadWork.enter(this);
    }

    /** The request's id. */
    public final String requestId() {
        return requestId;
    }

    /** What the line will say of the request: its method and raw path (as sent). */
    public void describe(String method, String path) {
        this.method = method == null ? "" : method;
        this.path = path == null ? "" : path;
    }

    /** The matched route template, base path included; empty when nothing matched. */
    public void route(String route) {
        this.route = route == null ? "" : route;
    }

    /** The route as known now (empty until matched); for the stretch event. */
    String routeSoFar() {
        return route;
    }

    /** The method as known now; for the stretch event. */
    String methodSoFar() {
        return method;
    }

    /** The trace id put on the line so far, or empty; for the stretch event. */
    synchronized String traceIdSoFar() {
        Object id = fields == null ? null : fields.get("trace_id");
        return id == null ? "" : id.toString();
    }

    /** The status the response has (or will have); 0 until known. */
    public void status(int status) {
        this.status = status;
    }

    // ---- segments: called by ThreadWork on the segment's own thread ----

    /** Links {@code s} as an open segment of this request; false once the request has finished. */
    synchronized boolean open(Segment s, long now) {
        reads++;
        if (finished) {
            return false;
        }
        s.nextOpen = open;
        open = s;
        recordThreadLocked(s.thread());
        if (runtime.profiling()) {
            s.since = System.nanoTime();
        }
        if (now < 0) {
            markUnavailableLocked(s.thread());
        }
        StretchEvents.begin(s);
        return true;
    }

    /** Whether any thread still has an open segment of this request. */
    synchronized boolean hasOpenSegments() {
        return open != null;
    }

    /** Closes {@code s} on its own thread (also when it was closed from another thread already). */
    synchronized void close(Segment s, long now) {
        StretchEvents.end(s);
        reads++;
        closeLocked(s, now);
    }

    /**
     * Closes {@code s} without counting it: its thread went on to another request's work without its entry
     * point seeing it leave ({@link ThreadWork}). The request stays open for its real end; if it has not
     * ended, it is handed to the runtime's sweep, which writes an {@code end_not_seen} line for a request
     * whose end never comes. Called on {@code s}'s thread.
     */
    void threadLeft(Segment s) {
        boolean pending;
        synchronized (this) {
            StretchEvents.end(s);
            if (s.closed) {
                return;
            }
            s.closed = true;
            unlinkLocked(s);
            if (!s.paused) {
                partDropped = true;
            }
            pending = !finished;
        }
        if (pending) {
            runtime.pending(this);
        }
    }

    synchronized void pause(Segment s, long now) {
        if (!s.closed && !s.paused) { // paused already: its bytes since were another request's
            advanceLocked(s, now);
            s.paused = true;
        }
        StretchEvents.end(s);
    }

    /** Counts {@code s}'s bytes and span up to now and starts both again from here. */
    private void advanceLocked(Segment s, long now) {
        addLocked(s, now);
        spanLocked(s);
        s.start = now;
    }

    synchronized void resume(Segment s, long now) {
        if (!s.closed) {
            s.start = now;
            s.paused = false;
            if (runtime.profiling()) {
                s.since = System.nanoTime();
            }
            if (now < 0) {
                markUnavailableLocked(s.thread());
            }
            StretchEvents.begin(s);
        }
    }

    private void closeLocked(Segment s, long now) {
        if (s.closed) {
            return;
        }
        if (!s.paused) {
            addLocked(s, now);
            spanLocked(s);
        }
        s.closed = true;
        unlinkLocked(s);
    }

    /**
     * Records that {@code s}'s thread worked for this request from {@code s.since} to now, and starts the
     * next span there; only when profiling, since a profile's samples are matched by these spans (a
     * container thread that serves other requests while this one is suspended is this request's only
     * during its spans). Three longs a span: thread id, from, to ({@code System.nanoTime}).
     */
    private void spanLocked(Segment s) {
        if (!runtime.profiling()) {
            return;
        }
        long now = System.nanoTime();
        if (spans == null) {
            spans = new long[6]; // most requests have one or two spans
        } else if (spanLongs + 3 > spans.length) {
            spans = Arrays.copyOf(spans, spans.length * 2);
        }
        spans[spanLongs++] = s.thread().getId();
        spans[spanLongs++] = s.since;
        spans[spanLongs++] = now;
        s.since = now;
    }

    private void unlinkLocked(Segment s) {
        Segment prev = null;
        for (Segment c = open; c != null; prev = c, c = c.nextOpen) {
            if (c == s) {
                if (prev == null) {
                    open = c.nextOpen;
                } else {
                    prev.nextOpen = c.nextOpen;
                }
                return;
            }
        }
    }

    private void addLocked(Segment s, long now) {
        if (now < 0 || s.start < 0) {
            markUnavailableLocked(s.thread());
            return;
        }
        bytes += now - s.start;
    }

    private void markUnavailableLocked(Thread thread) {
        if (unavailableReason == null) {
            unavailableReason = runtime.counter.unavailableReason(thread);
        }
    }

    private void recordThreadLocked(Thread thread) {
        long id = thread.getId();
        if (threads == 0) {
            firstThreadId = id;
            threads = 1;
            return;
        }
        if (firstThreadId == id) {
            return;
        }
        int more = threads - 1;
        for (int i = 0; i < more; i++) {
            if (moreThreadIds[i] == id) {
                return;
            }
        }
        if (moreThreadIds == null) {
            moreThreadIds = new long[2];
        } else if (more == moreThreadIds.length) {
            moreThreadIds = Arrays.copyOf(moreThreadIds, more * 2);
        }
        moreThreadIds[more] = id;
        threads++;
    }


    /** Reads the calling thread's counter for a segment's opening or closing (the read is counted there). */
    long read() {
        return runtime.counter.currentThreadAllocatedBytes();
    }

    /** Reads the calling thread's counter without counting it (the application asked, not the line). */
    long counterNow() {
        return runtime.counter.currentThreadAllocatedBytes();
    }

    // ---- what the application adds ----

    /**
     * Records the current OpenTelemetry span's ids, once, if a valid span is current on this thread, and
     * keeps the span when {@code spanAttributes} is on, so the line's figure goes on it at {@link #finish}.
     */
    public void captureTrace() {
        if (!TraceContext.available()) {
            return; // no OpenTelemetry API: no span can be current, and no lock is taken for nothing
        }
        synchronized (this) {
            if (traced || finished) {
                return;
            }
            traced = true;
        }
        Object current = TraceContext.currentSpan(); // null, allocating nothing, when no valid span is current
        if (current != null) {
            String[] ids = TraceContext.ids(current);
            synchronized (this) {
                if (!finished) {
                    putLocked("trace_id", ids[0]);
                    putLocked("span_id", ids[1]);
                    if (runtime.settings().spanAttributes()) {
                        span = current;
                    }
                }
            }
        }
    }

    /**
     * Adds an application field; false when the key is malformed or reserved, the request has finished,
     * or the line already holds {@link #MAX_FIELDS} fields (then counted in {@code fields_dropped}).
     */
    public boolean put(String key, Object value) {
        if (!isFieldKey(key) || LineFormat.RESERVED_KEYS.contains(key)) {
            return false;
        }
        // Read here, on the putting thread: the line is formatted later, when a mutable number may differ.
        Object v = FieldValues.of(value);
        synchronized (this) {
            if (finished) {
                return false;
            }
            if (fields != null && fields.size() >= MAX_FIELDS && !fields.containsKey(key)) {
                dropped++;
                return false;
            }
            putLocked(key, v);
            return true;
        }
    }

    private void putLocked(String key, Object value) {
        if (fields == null) {
            fields = new LinkedHashMap<>(8);
        }
        fields.put(key, value);
    }

    /** {@code [a-z][a-z0-9_]{0,63}}: snake_case, nothing a logfmt or JSON reader could trip on. */
    static boolean isFieldKey(String key) {
        if (key == null || key.isEmpty() || key.length() > 64) {
            return false;
        }
        char c0 = key.charAt(0);
        if (c0 < 'a' || c0 > 'z') {
            return false;
        }
        for (int i = 1; i < key.length(); i++) {
            char c = key.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
                return false;
            }
        }
        return true;
    }

    /**
     * Bytes this request has allocated so far, as its line would say now: finished segments, plus
     * {@code here} (the calling thread's open segment of it, or null) up to {@code now}; -1 when unavailable.
     */
    synchronized long allocatedSoFar(Segment here, long now) {
        if (unavailableReason != null || now < 0) {
            return -1L;
        }
        long b = bytes;
        if (here != null && !here.closed && !here.paused && here.start >= 0) {
            b += now - here.start;
        }
        return b;
    }

    /**
     * Writes the line of a request whose end its entry point never saw (the runtime answered it outside the
     * filter chain, and the sweep gave up waiting): {@code status=0} unless a response filter saw one, and
     * {@code alloc_bytes=-1 alloc_unavailable=end_not_seen}, since the request's own work is not known.
     * Does nothing once the line was written.
     */
    void endNotSeen() {
        synchronized (this) {
            if (finished) {
                return;
            }
            unavailableReason = END_NOT_SEEN;
        }
        finish(false);
    }

    @Override
    public void endOutsideFilters(int status, Answer answer) {
        status(status);
        if (answer == Answer.CONTAINER_ANSWERS_AFTER) {
            synchronized (this) {
                if (!finished) {
                    putLocked(ANSWERED_BY, "container");
                }
            }
        }
        finish(answer == Answer.SENT);
    }

    /** Whether the line has been written. */
    public synchronized boolean isFinished() {
        return finished;
    }

    // ---- the end of the request ----

    /**
     * Closes the request and writes its line: called once by the entry point when the response was
     * written (or failed); later calls do nothing.
     */
    public void finish(boolean responseWritten) {
        ThreadWork.leave(this);
        long endNanos = System.nanoTime();
        long processNow = runtime.processTotal();
        long total;
        int threadCount;
        int readCount;
        String reason;
        long[] workSpans;
        Map<String, Object> lineFields;
        Object traceSpan;
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
            for (Segment s = open; s != null; s = s.nextOpen) {
                closeRemoteLocked(s);
            }
            open = null;
            total = unavailableReason == null ? bytes : -1L;
            if (partDropped && total >= 0) {
                putLocked("alloc_partial", THREAD_LEFT);
            }
            threadCount = threads;
            readCount = reads;
            reason = unavailableReason;
            // The window is read only by a profile capture: none is made for a request under the threshold.
            workSpans = spans != null && total >= 0 && runtime.wouldProfile(total) ? Arrays.copyOf(spans, spanLongs) : null;
            if (dropped > 0) {
                putLocked("fields_dropped", dropped);
            }
            // No put can change the map once finished is set, so it is published without a copy.
            lineFields = fields == null ? Map.of() : Collections.unmodifiableMap(fields);
            traceSpan = span;
            span = null;
        }
        if (!runtime.hasConsumers() && traceSpan == null) {
            return; // no sink, no profile trigger, no span: nothing would read the line
        }
        long processDelta = processBaseline >= 0 && processNow >= 0 ? processNow - processBaseline : -1L;
        CanonicalLine line = new CanonicalLine(requestId, method, path, route, status, responseWritten,
                Math.max(0L, endNanos - startNanos), total, Optional.ofNullable(reason), threadCount, processDelta,
                readCount, Optional.empty(), lineFields);
        RequestWindow window = null;
        if (workSpans != null) {
            // Spans were taken on the monotonic clock; JFR stamps samples with wall-clock instants.
            java.time.Instant wall = java.time.Instant.now();
            long toEpoch = wall.getEpochSecond() * 1_000_000_000L + wall.getNano() - System.nanoTime();
            for (int i = 0; i < workSpans.length; i += 3) {
                workSpans[i + 1] += toEpoch;
                workSpans[i + 2] += toEpoch;
            }
            window = new RequestWindow(requestId, (startNanos + toEpoch) / 1_000_000L, (endNanos + toEpoch) / 1_000_000L,
                    workSpans);
        }
        runtime.emit(line, window, traceSpan);
    }

    /**
     * A segment left open on another thread (or lower on this one): read only when bracketed, where its thread
     * provably still works for this request; an unbracketed one's thread may be doing anything by now.
     */
    private void closeRemoteLocked(Segment s) {
        if (s.closed) {
            return;
        }
        s.closed = true;
        // A paused segment's bytes were added when it was paused; what its thread does now is another request's.
        if (s.paused) {
            return;
        }
        if (s.bracketed && s.thread() != Thread.currentThread()) {
            reads++;
            addLocked(s, runtime.counter.threadAllocatedBytes(s.thread().getId()));
            spanLocked(s);
        } else if (!s.bracketed) {
            partDropped = true;
        }
    }
}
