package dev.allocline.jfr;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Every {@code dev.allocline.Request} event of a recording, as primitive arrays: per thread, the stretches
 * sorted by start, each naming its request; per request, its id and route. A recording is read once for
 * this, streaming (one event in memory at a time); what is kept grows with the number of stretches (about
 * 20 bytes each plus each distinct id once), not with the file: allocation samples, stacks and every other
 * event are not kept. Stretches of one thread never overlap (a thread's stretch ends before another
 * request's begins on it), so a sample's request is found by a binary search on its thread. Single-threaded.
 */
final class Stretches {

    static final String EVENT = "dev.allocline.Request";
    static final String LINE = "dev.allocline.Line";

    /** Request index to id and route index. */
    final List<String> ids = new ArrayList<>();
    final List<String> routes = new ArrayList<>();
    final IntList routeOf = new IntList();
    final IntList stretchesOf = new IntList();
    final List<String> methods = new ArrayList<>();
    private final Map<String, Integer> requestIndex = new HashMap<>();
    private final Map<String, Integer> routeIndex = new HashMap<>();
    /** Thread id to its stretches. */
    final Map<Long, OnThread> threads = new HashMap<>();
    /** The line's exact bytes per request id, where the recording holds its line event. */
    final Map<String, Long> lineBytes = new HashMap<>();
    long events;
    long stretchCount;

    /** One thread's stretches: parallel arrays, sorted by start once reading is done. */
    static final class OnThread {
        final String name;
        long[] start = new long[8];
        long[] end = new long[8];
        int[] request = new int[8];
        int size;

        OnThread(String name) {
            this.name = name;
        }

        void add(long s, long e, int r) {
            if (size == start.length) {
                start = Arrays.copyOf(start, size * 2);
                end = Arrays.copyOf(end, size * 2);
                request = Arrays.copyOf(request, size * 2);
            }
            start[size] = s;
            end[size] = e;
            request[size] = r;
            size++;
        }

        void sort() {
            Integer[] order = new Integer[size];
            for (int i = 0; i < size; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Long.compare(start[a], start[b]));
            long[] s = new long[size];
            long[] e = new long[size];
            int[] r = new int[size];
            for (int i = 0; i < size; i++) {
                s[i] = start[order[i]];
                e[i] = end[order[i]];
                r[i] = request[order[i]];
            }
            start = s;
            end = e;
            request = r;
        }

        /** The request the thread worked for at {@code t} (epoch nanos), or -1. */
        int at(long t) {
            int lo = 0;
            int hi = size - 1;
            int found = -1;
            while (lo <= hi) { // the last stretch starting at or before t
                int mid = (lo + hi) >>> 1;
                if (start[mid] <= t) {
                    found = mid;
                    lo = mid + 1;
                } else {
                    hi = mid - 1;
                }
            }
            return found >= 0 && t <= end[found] ? request[found] : -1;
        }
    }

    /** A growable int array. */
    static final class IntList {
        int[] a = new int[16];
        int size;

        void add(int v) {
            if (size == a.length) {
                a = Arrays.copyOf(a, size * 2);
            }
            a[size++] = v;
        }

        int get(int i) {
            return a[i];
        }

        void increment(int i) {
            a[i]++;
        }
    }

    static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    /** Reads every stretch of {@code file}; {@code progress} hears the number of events read now and then. */
    static Stretches read(Path file, Progress progress) throws IOException {
        Stretches s = new Stretches();
        try (RecordingFile in = new RecordingFile(file)) {
            while (in.hasMoreEvents()) {
                RecordedEvent e = in.readEvent();
                s.events++;
                progress.events(s.events);
                String type = e.getEventType().getName();
                if (EVENT.equals(type)) {
                    s.add(e);
                } else if (LINE.equals(type)) {
                    s.lineBytes.put(e.getString("request_id"), e.getLong("alloc_bytes"));
                }
            }
        }
        for (OnThread t : s.threads.values()) {
            t.sort();
        }
        return s;
    }

    private void add(RecordedEvent e) {
        RecordedThread thread = e.getThread();
        if (thread == null) {
            return;
        }
        String id = e.getString("request_id");
        Integer r = requestIndex.get(id);
        if (r == null) {
            String route = e.getString("route");
            Integer ri = routeIndex.get(route);
            if (ri == null) {
                ri = routes.size();
                routes.add(route);
                routeIndex.put(route, ri);
            }
            r = ids.size();
            ids.add(id);
            routeOf.add(ri);
            stretchesOf.add(0);
            methods.add(e.getString("method"));
            requestIndex.put(id, r);
        }
        stretchesOf.increment(r);
        stretchCount++;
        threads.computeIfAbsent(thread.getJavaThreadId(), k -> new OnThread(thread.getJavaName()))
                .add(nanos(e.getStartTime()), nanos(e.getEndTime()), r);
    }

    /** The request with this id, or -1. */
    int request(String id) {
        Integer r = requestIndex.get(id);
        return r == null ? -1 : r;
    }

    /** The route index of this route, or -1. */
    int route(String route) {
        Integer r = routeIndex.get(route);
        return r == null ? -1 : r;
    }

    /** The request the thread {@code threadId} worked for at {@code t}, or -1. */
    int requestAt(long threadId, Instant t) {
        OnThread on = threads.get(threadId);
        return on == null ? -1 : on.at(nanos(t));
    }

    /** Hears how far reading has got. */
    interface Progress {
        void events(long read);
    }
}
