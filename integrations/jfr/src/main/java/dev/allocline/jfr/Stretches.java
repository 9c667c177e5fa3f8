package dev.allocline.jfr;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.EventStream;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;

/**
 * Reads a recording once, streaming, and hands each allocation sample to the request whose
 * {@code dev.allocline.Request} stretch covers it on its thread, keeping only what is still open: the heap it
 * needs is set by what the file holds between two flush points (about a second of recording, at most a
 * chunk), not by the file's length.
 *
 * <p>Why this is exact with so little kept. {@code jdk.jfr.consumer.RecordingFile} and {@code EventStream}
 * return a chunk's events in file order, which is not time order: each thread writes into buffers of its own
 * (Java events such as allocline's and native ones such as allocation samples in different ones) that reach
 * the file whenever they fill or at a flush point. What JFR does guarantee, and what this reader rests on:
 * <ul>
 *   <li>at every flush point and chunk rotation ({@code EventStream.onFlush}), everything committed before it
 *       is in the file up to there;</li>
 *   <li>a stretch event is committed at the stretch's end, on its own thread, after every sample taken
 *       inside it on that thread: the samples of a stretch are never in a later segment than the stretch;</li>
 *   <li>a thread's stretches never overlap (a thread's stretch ends before another begins on it), so once the
 *       segment after a thread's latest stretch has been read, no sample before that stretch's end can still
 *       be claimed: it was outside every request;</li>
 *   <li>allocline commits a request's {@code dev.allocline.Line} after its last stretch: one segment after its
 *       line, a request is final and leaves the heap (ranked, summed into its route, handed to the command).</li>
 * </ul>
 * So per thread it keeps the stretches of the current and previous segment and the samples not yet claimed
 * after its latest stretch, and per request only the requests still open. What is not bounded that way is
 * bounded by the {@linkplain #HORIZON_NANOS horizon}: a sample no stretch has claimed after 60 s of recording
 * (a thread that never works for a request) is counted outside any request, and a request that has no line
 * event is final once none of its stretches was seen for {@linkplain #QUIET_NANOS 10 s} (60 s when the
 * recording has line events and this request's has not come yet). A stretch longer than the horizon loses
 * its samples older than the horizon: {@link #lostToHorizon} counts such stretches, and the command says so.
 *
 * <p>Counters {@link #peakOpenRequests}, {@link #peakPendingSamples} and {@link #peakRecentStretches} make the
 * retention observable (tests assert them). Single-threaded: the reading thread calls the listener.
 */
final class Stretches {

    static final String EVENT = "dev.allocline.Request";
    static final String LINE = "dev.allocline.Line";
    static final String SAMPLE = "jdk.ObjectAllocationSample";
    static final String GC = "jdk.GarbageCollection";

    /** How long an unclaimed sample waits for a stretch, and a request with no line yet for its line. */
    static final long HORIZON_NANOS = 60_000_000_000L;
    /** How long a request is kept after its last stretch when the recording has no line events. */
    static final long QUIET_NANOS = 10_000_000_000L;

    static final long NO_LINE = Long.MIN_VALUE;

    /** What a command does with what is read; called on the reading thread. */
    interface Listener {
        /** A stretch of {@code r} on a thread (epoch nanos). */
        default void stretch(Request r, long threadId, String threadName, long start, long end) {
        }

        /** A sample inside a stretch of {@code r}; {@code stack} and {@code objectClass} only when stacks are kept. */
        default void sample(Request r, long weight, RecordedStackTrace stack, String objectClass) {
        }

        /** {@code r} is final: no more stretches, samples or line will come for it. */
        default void finished(Request r) {
        }

        /** A garbage collection (epoch nanos). */
        default void gc(long start, long end, long pauseNanos) {
        }
    }

    /** A request while it is open, and as handed to {@link Listener#finished}. */
    static final class Request {
        final String id;
        /** Order of first sight in the file: ties rank in this order. */
        final long seq;
        String route = "";
        String method = "";
        int routeIndex = -1;
        long bytes;
        long samples;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        int stretches;
        long line = NO_LINE;
        private int lineSegment = -1;
        private long lastSeen = Long.MIN_VALUE;
        private long[] threads = new long[2];
        int threadCount;

        Request(String id, long seq) {
            this.id = id;
            this.seq = seq;
        }

        private void thread(long threadId) {
            for (int i = 0; i < threadCount; i++) {
                if (threads[i] == threadId) {
                    return;
                }
            }
            if (threadCount == threads.length) {
                threads = Arrays.copyOf(threads, threadCount * 2);
            }
            threads[threadCount++] = threadId;
        }
    }

    /** One thread: its recent stretches (sorted by start as committed) and its samples no stretch claimed yet. */
    private static final class OnThread {
        final String name;
        long[] sStart = new long[8];
        long[] sEnd = new long[8];
        Request[] sRequest = new Request[8];
        int[] sSegment = new int[8];
        int sSize;
        boolean sSorted = true;

        long[] pTime = new long[8];
        long[] pWeight = new long[8]; // -1: claimed
        RecordedStackTrace[] pStack;
        String[] pClass;
        int pSize;
        boolean pSorted = true;

        long lastEnd = Long.MIN_VALUE;
        long settledEnd = Long.MIN_VALUE;
        long givenUpTo = Long.MIN_VALUE;
        long lastActive = Long.MIN_VALUE;

        OnThread(String name, boolean stacks) {
            this.name = name;
            if (stacks) {
                pStack = new RecordedStackTrace[8];
                pClass = new String[8];
            }
        }

        void addStretch(long s, long e, Request r, int segment) {
            if (sSize == sStart.length) {
                int n = sSize * 2;
                sStart = Arrays.copyOf(sStart, n);
                sEnd = Arrays.copyOf(sEnd, n);
                sRequest = Arrays.copyOf(sRequest, n);
                sSegment = Arrays.copyOf(sSegment, n);
            }
            if (sSize > 0 && s < sStart[sSize - 1]) {
                sSorted = false; // a virtual thread's stretches, written from several carriers' buffers
            }
            sStart[sSize] = s;
            sEnd[sSize] = e;
            sRequest[sSize] = r;
            sSegment[sSize] = segment;
            sSize++;
        }

        /** The recent stretch covering {@code t}, or -1. */
        int stretchAt(long t) {
            if (!sSorted) {
                for (int i = sSize - 1; i >= 0; i--) {
                    if (sStart[i] <= t && t <= sEnd[i]) {
                        return i;
                    }
                }
                return -1;
            }
            int lo = 0;
            int hi = sSize - 1;
            int found = -1;
            while (lo <= hi) { // the last stretch starting at or before t
                int mid = (lo + hi) >>> 1;
                if (sStart[mid] <= t) {
                    found = mid;
                    lo = mid + 1;
                } else {
                    hi = mid - 1;
                }
            }
            return found >= 0 && t <= sEnd[found] ? found : -1;
        }

        void addPending(long t, long w, RecordedStackTrace stack, String objectClass) {
            if (pSize == pTime.length) {
                int n = pSize * 2;
                pTime = Arrays.copyOf(pTime, n);
                pWeight = Arrays.copyOf(pWeight, n);
                if (pStack != null) {
                    pStack = Arrays.copyOf(pStack, n);
                    pClass = Arrays.copyOf(pClass, n);
                }
            }
            if (pSize > 0 && t < pTime[pSize - 1]) {
                pSorted = false;
            }
            pTime[pSize] = t;
            pWeight[pSize] = w;
            if (pStack != null) {
                pStack[pSize] = stack;
                pClass[pSize] = objectClass;
            }
            pSize++;
        }

        /** The first pending index that may be at or after {@code t}. */
        int firstPendingFrom(long t) {
            if (!pSorted) {
                return 0;
            }
            int lo = 0;
            int hi = pSize;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (pTime[mid] < t) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }

        /** Keeps the stretches seen from segment {@code from} on. */
        void dropStretchesBefore(int from) {
            int k = 0;
            for (int i = 0; i < sSize; i++) {
                if (sSegment[i] >= from) {
                    sStart[k] = sStart[i];
                    sEnd[k] = sEnd[i];
                    sRequest[k] = sRequest[i];
                    sSegment[k] = sSegment[i];
                    k++;
                }
            }
            Arrays.fill(sRequest, k, sSize, null);
            sSize = k;
            if (k == 0) {
                sSorted = true;
            }
            shrink();
        }

        /** Gives up the pending samples at or before {@code settled} or before {@code horizon}; returns their weight. */
        long settle(long settled, long horizon) {
            long outside = 0;
            int k = 0;
            boolean sorted = true;
            for (int i = 0; i < pSize; i++) {
                long w = pWeight[i];
                if (w < 0) {
                    continue;
                }
                long t = pTime[i];
                if (t <= settled || t < horizon) {
                    outside += w;
                    if (t > settled) {
                        givenUpTo = Math.max(givenUpTo, t);
                    }
                    continue;
                }
                if (k > 0 && t < pTime[k - 1]) {
                    sorted = false;
                }
                pTime[k] = t;
                pWeight[k] = w;
                if (pStack != null) {
                    pStack[k] = pStack[i];
                    pClass[k] = pClass[i];
                }
                k++;
            }
            if (pStack != null) {
                Arrays.fill(pStack, k, pSize, null);
                Arrays.fill(pClass, k, pSize, null);
            }
            pSize = k;
            pSorted = sorted;
            shrink();
            return outside;
        }

        /** Arrays that grew for a busy segment give the memory back once it is over. */
        private void shrink() {
            if (sStart.length > 64 && sSize < sStart.length / 4) {
                int n = Math.max(8, sSize * 2);
                sStart = Arrays.copyOf(sStart, n);
                sEnd = Arrays.copyOf(sEnd, n);
                sRequest = Arrays.copyOf(sRequest, n);
                sSegment = Arrays.copyOf(sSegment, n);
            }
            if (pTime.length > 64 && pSize < pTime.length / 4) {
                int n = Math.max(8, pSize * 2);
                pTime = Arrays.copyOf(pTime, n);
                pWeight = Arrays.copyOf(pWeight, n);
                if (pStack != null) {
                    pStack = Arrays.copyOf(pStack, n);
                    pClass = Arrays.copyOf(pClass, n);
                }
            }
        }
    }

    private final Listener listener;
    private final boolean stacks;
    private final Progress progress;
    private final Map<Long, OnThread> threads = new HashMap<>();
    private final Map<String, Request> open = new HashMap<>();
    private final Map<String, Integer> routeIndex = new HashMap<>();

    /** Route index to route, its sampled bytes and its requests: few routes. */
    final List<String> routes = new ArrayList<>();
    long[] routeBytes = new long[8];
    long[] routeRequests = new long[8];

    private int segment;
    private long now = Long.MIN_VALUE;
    private long seq;
    private long pending;
    private long recent;

    long events;
    long requests;
    long stretchCount;
    long lineCount;
    /** Sampled bytes inside a request's stretch, and outside every one. */
    long attributed;
    long unattributed;
    /** Stretches that began before samples of their thread had been given up at the horizon. */
    long lostToHorizon;
    /** Flush points and chunk ends read. */
    int segments;
    long peakOpenRequests;
    long peakPendingSamples;
    long peakRecentStretches;

    private Stretches(Listener listener, boolean stacks, Progress progress) {
        this.listener = listener;
        this.stacks = stacks;
        this.progress = progress;
    }

    static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    /**
     * Streams {@code file} once, handing what it finds to {@code listener}; with {@code stacks}, samples keep
     * their stack until claimed (for frames and flame graphs). {@code progress} hears the events read now and then.
     */
    static Stretches read(Path file, Listener listener, boolean stacks, Progress progress) throws IOException {
        Stretches s = new Stretches(listener, stacks, progress);
        try (EventStream in = EventStream.openFile(file)) {
            in.setReuse(true);
            in.setOrdered(false); // ordering holds a whole chunk's events in the heap; the segments are enough
            in.onEvent(EVENT, s::stretch);
            in.onEvent(LINE, s::line);
            in.onEvent(SAMPLE, s::sample);
            in.onEvent(GC, s::gc);
            in.onFlush(s::segmentEnd);
            in.start();
        }
        s.end();
        return s;
    }

    private void read() {
        events++;
        progress.events(events);
    }

    private OnThread thread(RecordedThread t) {
        OnThread on = threads.get(t.getJavaThreadId());
        if (on == null) {
            on = new OnThread(t.getJavaName(), stacks);
            threads.put(t.getJavaThreadId(), on);
        }
        return on;
    }

    private Request request(String id) {
        Request r = open.get(id);
        if (r == null) {
            r = new Request(id, seq++);
            open.put(id, r);
            peakOpenRequests = Math.max(peakOpenRequests, open.size());
        }
        return r;
    }

    private int route(String route) {
        Integer i = routeIndex.get(route);
        if (i == null) {
            i = routes.size();
            routes.add(route);
            routeIndex.put(route, i);
            if (i == routeBytes.length) {
                routeBytes = Arrays.copyOf(routeBytes, i * 2);
                routeRequests = Arrays.copyOf(routeRequests, i * 2);
            }
        }
        return i;
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    private void stretch(RecordedEvent e) {
        read();
        RecordedThread t = e.getThread();
        if (t == null) {
            return;
        }
        long start = nanos(e.getStartTime());
        long end = nanos(e.getEndTime());
        now = Math.max(now, end);
        Request r = request(orEmpty(e.getString("request_id")));
        if (r.stretches++ == 0) {
            r.route = orEmpty(e.getString("route"));
            r.method = orEmpty(e.getString("method"));
            r.routeIndex = route(r.route);
            routeRequests[r.routeIndex]++;
            requests++;
        }
        stretchCount++;
        r.first = Math.min(r.first, start);
        r.last = Math.max(r.last, end);
        r.lastSeen = Math.max(r.lastSeen, end);
        r.thread(t.getJavaThreadId());
        OnThread on = thread(t);
        on.lastEnd = Math.max(on.lastEnd, end);
        on.lastActive = Math.max(on.lastActive, end);
        if (start <= on.givenUpTo) {
            lostToHorizon++;
        }
        on.addStretch(start, end, r, segment);
        recent++;
        peakRecentStretches = Math.max(peakRecentStretches, recent);
        listener.stretch(r, t.getJavaThreadId(), on.name, start, end);
        // the samples read before their stretch: claimed now
        for (int i = on.firstPendingFrom(start); i < on.pSize; i++) {
            long time = on.pTime[i];
            if (on.pSorted && time > end) {
                break;
            }
            if (on.pWeight[i] >= 0 && start <= time && time <= end) {
                attribute(r, on.pWeight[i], stacks ? on.pStack[i] : null, stacks ? on.pClass[i] : null);
                on.pWeight[i] = -1;
                if (stacks) {
                    on.pStack[i] = null;
                    on.pClass[i] = null;
                }
                pending--;
            }
        }
    }

    private void attribute(Request r, long weight, RecordedStackTrace stack, String objectClass) {
        r.bytes += weight;
        r.samples++;
        routeBytes[r.routeIndex] += weight;
        attributed += weight;
        listener.sample(r, weight, stack, objectClass);
    }

    private void sample(RecordedEvent e) {
        read();
        RecordedThread t = e.getThread("eventThread");
        if (t == null) {
            return;
        }
        long time = nanos(e.getStartTime());
        now = Math.max(now, time);
        long weight = e.getLong("weight");
        OnThread on = thread(t);
        on.lastActive = Math.max(on.lastActive, time);
        int i = on.stretchAt(time);
        if (i >= 0) {
            attribute(on.sRequest[i], weight, stacks ? e.getStackTrace() : null,
                    stacks ? e.getClass("objectClass").getName() : null);
        } else {
            on.addPending(time, weight, stacks ? e.getStackTrace() : null,
                    stacks ? e.getClass("objectClass").getName() : null);
            pending++;
            peakPendingSamples = Math.max(peakPendingSamples, pending);
        }
    }

    private void line(RecordedEvent e) {
        read();
        now = Math.max(now, nanos(e.getEndTime()));
        Request r = request(orEmpty(e.getString("request_id")));
        r.line = e.getLong("alloc_bytes");
        r.lineSegment = segment;
        lineCount++;
    }

    private void gc(RecordedEvent e) {
        read();
        listener.gc(nanos(e.getStartTime()), nanos(e.getEndTime()), e.getDuration("sumOfPauses").toNanos());
    }

    /** A flush point or a chunk's end: what can no longer change is settled and leaves the heap. */
    private void segmentEnd() {
        segments++;
        long horizon = now == Long.MIN_VALUE ? Long.MIN_VALUE : now - HORIZON_NANOS;
        for (Iterator<OnThread> it = threads.values().iterator(); it.hasNext(); ) {
            OnThread on = it.next();
            int before = on.pSize;
            unattributed += on.settle(on.settledEnd, horizon);
            on.settledEnd = on.lastEnd;
            int beforeStretches = on.sSize;
            on.dropStretchesBefore(segment);
            recent -= beforeStretches - on.sSize;
            pending -= before - on.pSize;
            if (on.pSize == 0 && on.sSize == 0 && on.lastActive < horizon) {
                it.remove(); // a thread gone quiet: its next stretch starts after everything given up
            }
        }
        long quiet = now == Long.MIN_VALUE ? Long.MIN_VALUE : now - (lineCount > 0 ? HORIZON_NANOS : QUIET_NANOS);
        for (Iterator<Request> it = open.values().iterator(); it.hasNext(); ) {
            Request r = it.next();
            if ((r.lineSegment >= 0 && r.lineSegment < segment) || (r.lineSegment < 0 && r.lastSeen < quiet)) {
                it.remove();
                finish(r);
            }
        }
        segment++;
    }

    private void finish(Request r) {
        if (r.stretches > 0) {
            listener.finished(r);
        }
    }

    /** The file is read: what is left open is final. */
    private void end() {
        for (OnThread on : threads.values()) {
            unattributed += on.settle(Long.MAX_VALUE, Long.MAX_VALUE);
        }
        threads.clear();
        List<Request> left = new ArrayList<>(open.values());
        open.clear();
        left.sort((a, b) -> Long.compare(a.seq, b.seq));
        for (Request r : left) {
            finish(r);
        }
    }

    /** The route index of {@code route}, or -1. */
    int routeIndexOf(String route) {
        Integer i = routeIndex.get(route);
        return i == null ? -1 : i;
    }

    /** Hears how far reading has got. */
    interface Progress {
        void events(long read);
    }
}
