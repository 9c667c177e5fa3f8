package dev.allocline.internal.accounting;

import dev.allocline.internal.line.LineFormat;
import dev.allocline.internal.profile.RequestWindow;
import dev.allocline.line.CanonicalLine;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One request's allocation accounting, independent of the runtime that reports the request's
 * progress: the baseline, the thread segments, the running total, the application's fields.
 *
 * <p>Threading: an entry point calls {@link #enter}, {@link #leave}, {@link #checkpoint} on the thread
 * doing the request's work, so only the current thread's counter is read on these paths (~20 ns, no
 * safepoint); {@link #finish} may come from any thread. A segment still open on another thread when the
 * request finishes is read remotely only while that thread is inside the resource method (or a wrapped
 * task) and not paused under another request, where it provably still works for this request;
 * otherwise its unfinished tail is dropped rather than risk counting another request's bytes. State is
 * guarded by this object's monitor; no method ever holds two requests' monitors at once.
 *
 * <p>Thread-local hygiene: a thread's stack of segments is its {@code ThreadLocal}; popping the last
 * segment clears it (the entry stays, holding null, so the next request does not allocate a new one; it
 * refers to nothing of the request or of the application), and nothing is pushed for a request that has
 * finished, so no thread keeps a reference to a request (and, on a servlet container, to the web application's class loader) after
 * its work for it is done. Not API.
 */
public class RequestAccounting {

    /** Most application fields a line carries; puts past it are counted in {@code fields_dropped}. */
    public static final int MAX_FIELDS = 32;
    /** Longest application value kept, in chars; longer ones are cut and marked. */
    public static final int MAX_VALUE_CHARS = 1024;

    private static final ThreadLocal<Segment> TOP = new ThreadLocal<>();
    private static final VarHandle READS;

    static {
        try {
            READS = MethodHandles.lookup().findVarHandle(RequestAccounting.class, "reads", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    protected final AllocLineRuntime runtime;
    private final String requestId;
    private final long startNanos;
    private final long processBaseline;

    /** Counter reads for this request; only changed through {@link #READS}. */
    private int reads;
    // Guarded by this.
    private long bytes;
    private String unavailableReason;
    private int threads;
    /** The first thread's id; the others' only when a request spreads (most never do). */
    private long firstThreadId;
    private long[] moreThreadIds;
    private Segment open;
    private boolean finished;
    private LinkedHashMap<String, Object> fields;
    private int dropped;
    private boolean traced;

    /** Starts the clock and the process-wide baseline; {@link #begin()} takes the thread's baseline. */
    protected RequestAccounting(AllocLineRuntime runtime, String requestId) {
        this.runtime = runtime;
        this.requestId = requestId;
        this.processBaseline = runtime.processTotal();
        this.startNanos = System.nanoTime();
    }

    /**
     * Takes the baseline and opens the request's first segment on the calling thread. Call it after the
     * accounting is stored where the entry point keeps it, so a failure in between leaves nothing on
     * the thread.
     */
    public final void begin() {
        push(read(), false);
    }

    /** The request's id. */
    public final String requestId() {
        return requestId;
    }

    /** The request whose work the calling thread is doing right now, or null. */
    public static RequestAccounting current() {
        Segment s = live(TOP.get());
        return s == null ? null : s.owner;
    }

    /**
     * Drops the calling thread's closed segments from the top of its stack, putting back the logging
     * context each of them replaced: a request finished elsewhere while this thread never left it (a
     * suspended request seen only through filters) must not leave its id in this thread's context.
     * Returns the first open segment, or null.
     */
    private static Segment unwindClosed() {
        Segment top = TOP.get();
        if (top == null || !top.closed) {
            return top;
        }
        while (top != null && top.closed) {
            LoggingContext c = top.owner.runtime.context;
            if (c != null) {
                c.exit(top);
            }
            top = top.below;
        }
        if (top == null) {
            TOP.set(null);
        } else {
            TOP.set(top);
        }
        return top;
    }

    /** {@code s} or the first segment below it that is still open; closed ones are stale. */
    private static Segment live(Segment s) {
        while (s != null && s.closed) {
            s = s.below;
        }
        return s;
    }

    // ---- segments, on the calling thread ----

    /** Opens a segment for this request on the calling thread unless one is already on top. */
    public final void enter(boolean inMethod) {
        Segment top = TOP.get();
        if (top != null && top.owner == this && !top.closed) {
            // Jersey fires ~10 events per request on the same thread: take the monitor only for a change.
            // inMethod is written by this thread alone; a remote close in between makes the write moot.
            if (top.inMethod != inMethod) {
                synchronized (this) {
                    top.inMethod = inMethod;
                }
            }
            return;
        }
        push(read(), inMethod);
    }

    /**
     * Opens a segment on the calling thread for work handed over by {@code AllocLine.wrap}; returns
     * it for {@link #pop}, or null when the request has already finished (the work then counts for no one).
     */
    public final Object enterForeign() {
        // The wrapped task runs for this request until it returns, so it counts as in the method.
        return push(read(), true);
    }

    /** Closes the calling thread's segment of this request, if it has one on its stack. */
    public final void leave() {
        Segment s = TOP.get();
        while (s != null && s.owner != this) {
            s = s.below;
        }
        if (s != null) {
            pop(s);
        }
    }

    /** Closes a segment opened by {@link #enterForeign()} on the calling thread; null is ignored. */
    public final void pop(Object segment) {
        if (segment == null) {
            return;
        }
        Segment s = (Segment) segment;
        long now = read();
        synchronized (this) {
            closeLocked(s, now);
        }
        if (TOP.get() != s) {
            // Another request's segment runs above it: s stays in the stack, closed, and its logging context
            // is put back when the thread unwinds to it, never while the request above still works here.
            return;
        }
        Segment below = unwindClosed(); // s and any closed segment under it, restoring each one's context
        if (below != null) {
            below.owner.resume(below, now);
        }
    }

    /** Adds the calling thread's bytes so far and marks it as out of the resource method. */
    public final void checkpoint() {
        Segment top = TOP.get();
        if (top == null || top.owner != this) {
            return;
        }
        long now = read();
        synchronized (this) {
            if (top.closed) {
                return;
            }
            addLocked(top, now);
            top.start = now;
            top.inMethod = false;
        }
    }

    private Segment push(long now, boolean inMethod) {
        Thread thread = Thread.currentThread();
        Segment below = unwindClosed();
        Segment s = new Segment(this, thread, below, now);
        synchronized (this) {
            if (finished) {
                return null; // a late event or task: nothing of it may stay on the thread
            }
            s.inMethod = inMethod;
            s.nextOpen = open;
            open = s;
            recordThreadLocked(thread);
            if (now < 0) {
                markUnavailableLocked(thread);
            }
        }
        if (below != null) {
            below.owner.pause(below, now);
        }
        TOP.set(s);
        if (runtime.context != null) {
            runtime.context.enter(s, requestId);
        }
        return s;
    }

    private synchronized void pause(Segment s, long now) {
        if (!s.closed) {
            addLocked(s, now);
            s.start = now;
            s.paused = true;
        }
    }

    private synchronized void resume(Segment s, long now) {
        if (!s.closed) {
            s.start = now;
            s.paused = false;
            if (now < 0) {
                markUnavailableLocked(s.thread);
            }
        }
    }

    private void closeLocked(Segment s, long now) {
        if (s.closed) {
            return;
        }
        if (!s.paused) {
            addLocked(s, now);
        }
        s.closed = true;
        unlinkLocked(s);
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
            markUnavailableLocked(s.thread);
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

    private long[] threadIdsLocked() {
        long[] ids = new long[threads];
        if (threads > 0) {
            ids[0] = firstThreadId;
        }
        if (moreThreadIds != null) {
            System.arraycopy(moreThreadIds, 0, ids, 1, threads - 1);
        }
        return ids;
    }

    /** Reads the calling thread's counter and counts the read. */
    private long read() {
        READS.getAndAdd(this, 1);
        return runtime.counter.currentThreadAllocatedBytes();
    }

    // ---- what the application adds ----

    /** Records the current OpenTelemetry span's ids, once, if a valid span is current on this thread. */
    public final void captureTrace() {
        if (!TraceContext.available()) {
            return; // no OpenTelemetry API: no span can be current, and no lock is taken for nothing
        }
        synchronized (this) {
            if (traced || finished) {
                return;
            }
            traced = true;
        }
        String[] ids = TraceContext.current();
        if (ids != null) {
            synchronized (this) {
                if (!finished) {
                    putLocked("trace_id", ids[0]);
                    putLocked("span_id", ids[1]);
                }
            }
        }
    }

    /**
     * Adds an application field; false when the key is malformed or reserved, the request has finished,
     * or the line already holds {@link #MAX_FIELDS} fields (then counted in {@code fields_dropped}).
     */
    public final boolean put(String key, Object value) {
        if (!isFieldKey(key) || LineFormat.RESERVED_KEYS.contains(key)) {
            return false;
        }
        Object v = fieldValue(value);
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

    /** Numbers and booleans stay what they are (JSON layouts keep them typed); anything else becomes bounded text. */
    private static Object fieldValue(Object value) {
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte
                || value instanceof Double || value instanceof Float || value instanceof Boolean
                || value instanceof BigDecimal || value instanceof BigInteger) {
            return value;
        }
        String s;
        try {
            s = String.valueOf(value);
        } catch (RuntimeException | LinkageError | StackOverflowError e) {
            s = "(toString failed: " + e.getClass().getName() + ")";
        }
        return s.length() > MAX_VALUE_CHARS ? s.substring(0, MAX_VALUE_CHARS) + "...[truncated]" : s;
    }

    /**
     * Bytes this request has allocated so far, as its line would say now (finished segments and the
     * calling thread's own open one); -1 when unavailable.
     */
    public final long allocatedSoFar() {
        Segment top = TOP.get();
        long now = top != null && top.owner == this ? runtime.counter.currentThreadAllocatedBytes() : 0;
        synchronized (this) {
            if (unavailableReason != null || now < 0) {
                return -1L;
            }
            long b = bytes;
            if (top != null && top.owner == this && !top.closed && !top.paused && top.start >= 0) {
                b += now - top.start;
            }
            return b;
        }
    }

    /**
     * Marks the request as one whose end its entry point did not see (its processing on this thread
     * ended without the end hooks running): its line will say {@code alloc_bytes=-1} with
     * {@code alloc_unavailable=end_not_seen}, since what the thread did after that point is not the
     * request's and cannot be told apart from what came before it. Call {@code finish} next.
     */
    public final synchronized void endNotSeen() {
        if (!finished) {
            unavailableReason = END_NOT_SEEN;
        }
    }

    /** The {@code alloc_unavailable} reason of a request whose end was not seen. */
    public static final String END_NOT_SEEN = "end_not_seen";

    /** Whether the line has been written. */
    public final synchronized boolean isFinished() {
        return finished;
    }

    // ---- the end of the request ----

    /**
     * Closes the request and writes its line: called once by the entry point when the response was
     * written (or failed); later calls do nothing.
     */
    public final void finish(String method, String path, String route, int status, boolean responseWritten) {
        leave();
        long endNanos = System.nanoTime();
        long processNow = runtime.processTotal();
        long total;
        int threadCount;
        String reason;
        long[] ids;
        Map<String, Object> lineFields;
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
            threadCount = threads;
            reason = unavailableReason;
            ids = runtime.profiling() ? threadIdsLocked() : null;
            if (dropped > 0) {
                putLocked("fields_dropped", dropped);
            }
            // No put can change the map once finished is set, so it is published without a copy.
            lineFields = fields == null ? Map.of() : Collections.unmodifiableMap(fields);
        }
        if (!runtime.hasConsumers()) {
            return; // no sink and no profile trigger: nothing would read the line
        }
        long processDelta = processBaseline >= 0 && processNow >= 0 ? processNow - processBaseline : -1L;
        CanonicalLine line = new CanonicalLine(requestId, method, path, route, status, responseWritten,
                Duration.ofNanos(endNanos - startNanos), total, Optional.ofNullable(reason), threadCount, processDelta,
                (int) READS.getVolatile(this), Optional.empty(), lineFields);
        RequestWindow window = null;
        if (ids != null && total >= 0) {
            long endMillis = System.currentTimeMillis();
            window = new RequestWindow(requestId, endMillis - (endNanos - startNanos) / 1_000_000L, endMillis, ids);
        }
        runtime.emit(line, window);
    }

    /** A segment left open on another thread: read it only while that thread provably works for this request. */
    private void closeRemoteLocked(Segment s) {
        if (s.closed) {
            return;
        }
        s.closed = true;
        // A paused segment's bytes were added when it was paused; what its thread does now is another request's.
        if (s.inMethod && !s.paused && s.thread != Thread.currentThread()) {
            READS.getAndAdd(this, 1);
            addLocked(s, runtime.counter.threadAllocatedBytes(s.thread.getId()));
        }
    }
}
