package dev.allocline.jersey;

import dev.allocline.line.CanonicalLine;
import dev.allocline.internal.profile.RequestWindow;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.glassfish.jersey.server.ContainerRequest;
import org.glassfish.jersey.server.ContainerResponse;
import org.glassfish.jersey.server.model.ResourceMethod;
import org.glassfish.jersey.server.monitoring.RequestEvent;
import org.glassfish.jersey.server.monitoring.RequestEventListener;

/**
 * One request's allocation accounting: the baseline, the open thread segments and the running total.
 *
 * <p>Jersey fires {@link RequestEvent}s on the thread doing the request's work, so the first event a
 * thread sees for this request opens a segment there and the events after which the thread may leave
 * close it: {@code FINISHED} always; {@code REQUEST_FILTERED} when the method is {@code @ManagedAsync}
 * (the method then runs on Jersey's executor); {@code RESOURCE_METHOD_FINISHED} when the method may
 * complete on another thread ({@code @Suspended AsyncResponse}, {@code @ManagedAsync}, SSE, or a
 * declared {@code CompletionStage}). Only the current thread's counter is read on these paths (~25 ns,
 * no safepoint). A segment still open on another thread when the request finishes is read remotely
 * only while that thread is inside the resource method, where it provably still works for this
 * request; otherwise its unfinished tail is dropped rather than risk counting another request's bytes.
 */
final class RequestAccounting implements RequestEventListener {

    private static final ThreadLocal<Segment> TOP = new ThreadLocal<>();
    /** Read time is added with an atomic add: a monitor per counter read would double its cost. */
    private static final VarHandle READ_NANOS;

    static {
        try {
            READ_NANOS = MethodHandles.lookup().findVarHandle(RequestAccounting.class, "readNanos", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final AllocLineRuntime runtime;
    final String requestId;
    final long startNanos;
    final long startEpochMillis;
    private final long processBaseline;

    /** Time spent reading counters; only changed through {@link #READ_NANOS}. */
    private long readNanos;
    // Guarded by this.
    private long bytes;
    private String unavailableReason;
    private int threads;
    private long[] threadIds = new long[2];
    private Segment open;
    private boolean finished;

    RequestAccounting(AllocLineRuntime runtime, ContainerRequest request) {
        this.runtime = runtime;
        this.requestId = newRequestId();
        this.processBaseline = runtime.sampledProcessTotal();
        this.startEpochMillis = runtime.profilingEnabled() ? System.currentTimeMillis() : 0L;
        long t0 = System.nanoTime();
        long b = runtime.counter.currentThreadAllocatedBytes();
        long t1 = System.nanoTime();
        this.startNanos = t0;
        this.readNanos = t1 - t0;
        push(Thread.currentThread(), b, false);
        if (request != null) {
            request.setProperty(AllocLine.REQUEST_PROPERTY, this);
        }
    }

    /** The request whose work the calling thread is doing right now, or null. */
    static RequestAccounting current() {
        Segment s = live(TOP.get());
        return s == null ? null : s.owner;
    }

    /** {@code s} or the first segment below it that is still open; closed ones are stale. */
    private static Segment live(Segment s) {
        while (s != null && s.closed) {
            s = s.below;
        }
        return s;
    }

    @Override
    public void onEvent(RequestEvent event) {
        try {
            switch (event.getType()) {
                case REQUEST_FILTERED:
                    if (isManagedAsync(event)) {
                        leave();
                    } else {
                        enter(false);
                    }
                    break;
                case RESOURCE_METHOD_START:
                    enter(true);
                    break;
                case RESOURCE_METHOD_FINISHED:
                    if (mayCompleteElsewhere(event)) {
                        leave();
                    } else {
                        checkpoint();
                    }
                    break;
                case FINISHED:
                    finish(event);
                    break;
                default:
                    enter(false);
            }
        } catch (RuntimeException | LinkageError | AssertionError e) {
            runtime.failures.warn("accounting", "allocline: accounting failed for request " + requestId
                    + " on " + event.getType() + "; its line may be missing or partial: " + e, e);
        }
    }

    // ---- segments, on the calling thread ----

    /** Opens a segment for this request on the calling thread unless one is already on top. */
    void enter(boolean inMethod) {
        Segment top = TOP.get();
        if (top != null && top.owner == this && !top.closed) {
            if (top.inMethod != inMethod) {
                synchronized (this) {
                    top.inMethod = inMethod;
                }
            }
            return;
        }
        push(Thread.currentThread(), timedRead(), inMethod);
    }

    /** Opens a segment on the calling thread for work handed over by {@link AllocLine#wrap}; returns it. */
    Segment enterForeign() {
        // The wrapped task runs for this request until it returns, so it counts as in the method.
        return push(Thread.currentThread(), timedRead(), true);
    }

    /** Closes the calling thread's segment of this request, if it has one on its stack. */
    void leave() {
        Segment top = TOP.get();
        Segment s = top;
        while (s != null && s.owner != this) {
            s = s.below;
        }
        if (s != null) {
            pop(s);
        }
    }

    /** Closes {@code s}, which the calling thread opened. */
    void pop(Segment s) {
        long now = timedRead();
        synchronized (this) {
            closeLocked(s, now);
        }
        Segment below = live(s.below);
        TOP.set(below);
        if (below != null) {
            below.owner.resume(below, now);
        }
    }

    private void checkpoint() {
        Segment top = TOP.get();
        if (top == null || top.owner != this || top.closed) {
            return;
        }
        long now = timedRead();
        synchronized (this) {
            addLocked(top, now);
            top.start = now;
            top.inMethod = false;
        }
    }

    private Segment push(Thread thread, long now, boolean inMethod) {
        Segment below = live(TOP.get());
        if (below != null) {
            below.owner.pause(below, now);
        }
        Segment s = new Segment(this, thread, below, now);
        synchronized (this) {
            s.inMethod = inMethod;
            if (finished) {
                s.closed = true;
            } else {
                s.nextOpen = open;
                open = s;
                recordThreadLocked(thread);
                if (now < 0) {
                    markUnavailableLocked(thread);
                }
            }
        }
        TOP.set(s);
        return s;
    }

    private synchronized void pause(Segment s, long now) {
        if (!s.closed) {
            addLocked(s, now);
            s.start = now;
        }
    }

    private synchronized void resume(Segment s, long now) {
        if (!s.closed) {
            s.start = now;
            if (now < 0) {
                markUnavailableLocked(s.thread);
            }
        }
    }

    private void closeLocked(Segment s, long now) {
        if (s.closed) {
            return;
        }
        addLocked(s, now);
        s.closed = true;
        Segment prev = null;
        for (Segment c = open; c != null; prev = c, c = c.nextOpen) {
            if (c == s) {
                if (prev == null) {
                    open = c.nextOpen;
                } else {
                    prev.nextOpen = c.nextOpen;
                }
                break;
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
        for (int i = 0; i < threads; i++) {
            if (threadIds[i] == id) {
                return;
            }
        }
        if (threads == threadIds.length) {
            threadIds = java.util.Arrays.copyOf(threadIds, threads * 2);
        }
        threadIds[threads++] = id;
    }

    /** Reads the calling thread's counter and charges the read's cost to this request. */
    private long timedRead() {
        long t0 = System.nanoTime();
        long v = runtime.counter.currentThreadAllocatedBytes();
        READ_NANOS.getAndAdd(this, System.nanoTime() - t0);
        return v;
    }

    // ---- the end of the request ----

    private void finish(RequestEvent event) {
        leave();
        long endNanos = System.nanoTime();
        long processNow = runtime.sampledProcessTotal();
        long total;
        long overhead;
        int threadCount;
        String reason;
        long[] ids;
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
            overhead = (long) READ_NANOS.getVolatile(this);
            threadCount = threads;
            reason = unavailableReason;
            ids = java.util.Arrays.copyOf(threadIds, threads);
        }
        long processDelta = processBaseline >= 0 && processNow >= 0 ? processNow - processBaseline : -1L;

        ContainerRequest request = event.getContainerRequest();
        ContainerResponse response = event.getContainerResponse();
        String method = request == null ? "" : nullToEmpty(request.getMethod());
        String path = request == null ? "" : rawPath(request.getRequestUri());
        String route = event.getUriInfo() == null ? "" : RouteTemplates.route(event.getUriInfo().getMatchedTemplates());
        int status = response == null ? 0 : response.getStatus();

        CanonicalLine line = new CanonicalLine(requestId, method, path, route, status, event.isResponseWritten(),
                Duration.ofNanos(endNanos - startNanos), total, Optional.ofNullable(reason), threadCount, processDelta,
                Duration.ofNanos(overhead), Optional.empty());
        RequestWindow window = runtime.profilingEnabled() && total >= 0
                ? new RequestWindow(requestId, startEpochMillis, System.currentTimeMillis(), ids) : null;
        runtime.emit(line, window);
    }

    /** A segment left open on another thread: read it only while that thread is inside the method. */
    private void closeRemoteLocked(Segment s) {
        if (s.closed) {
            return;
        }
        s.closed = true;
        if (s.inMethod && s.thread != Thread.currentThread()) {
            long t0 = System.nanoTime();
            long now = runtime.counter.threadAllocatedBytes(s.thread.getId());
            READ_NANOS.getAndAdd(this, System.nanoTime() - t0);
            addLocked(s, now);
        }
    }

    private static boolean isManagedAsync(RequestEvent event) {
        ResourceMethod m = matchedMethod(event);
        return m != null && m.isManagedAsyncDeclared();
    }

    private static boolean mayCompleteElsewhere(RequestEvent event) {
        ResourceMethod m = matchedMethod(event);
        if (m == null) {
            return false;
        }
        if (m.isSuspendDeclared() || m.isManagedAsyncDeclared() || m.isSse()) {
            return true;
        }
        Class<?> raw = m.getInvocable().getRawResponseType();
        return raw != null && java.util.concurrent.CompletionStage.class.isAssignableFrom(raw);
    }

    private static ResourceMethod matchedMethod(RequestEvent event) {
        return event.getUriInfo() == null ? null : event.getUriInfo().getMatchedResourceMethod();
    }

    private static String rawPath(URI uri) {
        if (uri == null) {
            return "";
        }
        String p = uri.getRawPath();
        return p == null ? nullToEmpty(uri.getRawSchemeSpecificPart()) : p;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    private static String newRequestId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        char[] c = new char[32];
        hex(r.nextLong(), c, 0);
        hex(r.nextLong(), c, 16);
        return new String(c);
    }

    private static void hex(long v, char[] out, int at) {
        for (int i = 15; i >= 0; i--) {
            out[at + i] = Character.forDigit((int) (v & 0xf), 16);
            v >>>= 4;
        }
    }
}
