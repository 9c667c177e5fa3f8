package dev.allocline.internal.profile;

import java.time.Instant;
import java.util.Arrays;

/**
 * What a profile needs to find one request's samples: its id, its wall-clock window, and the spans
 * during which each of its threads worked for it. A sample belongs to the request only if its thread
 * was working for the request at that instant: a container thread that served other requests while
 * this one was suspended, inside the request's window, gives none of those requests' samples.
 * Made by the library at the end of each request; immutable. Not API.
 *
 * @param requestId        the request's id
 * @param startEpochMillis when the request started (wall clock)
 * @param endEpochMillis   when its response was written (wall clock)
 * @param spans            {@code threadId, fromEpochNanos, toEpochNanos} triples, one per span of work
 */
public record RequestWindow(String requestId, long startEpochMillis, long endEpochMillis, long[] spans) {

    public RequestWindow {
        if (spans.length % 3 != 0) {
            throw new IllegalArgumentException("spans come in triples: " + spans.length);
        }
        spans = spans.clone();
    }

    /** Whether the thread with this id was working for the request at {@code at}. */
    public boolean covers(long threadId, Instant at) {
        long t = at.getEpochSecond() * 1_000_000_000L + at.getNano();
        for (int i = 0; i < spans.length; i += 3) {
            if (spans[i] == threadId && t >= spans[i + 1] && t <= spans[i + 2]) {
                return true;
            }
        }
        return false;
    }

    @Override
    public long[] spans() {
        return spans.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RequestWindow w && w.requestId.equals(requestId) && w.startEpochMillis == startEpochMillis
                && w.endEpochMillis == endEpochMillis && Arrays.equals(w.spans, spans);
    }

    @Override
    public int hashCode() {
        return requestId.hashCode();
    }

    @Override
    public String toString() {
        return "RequestWindow[" + requestId + ", " + startEpochMillis + ".." + endEpochMillis + ", spans="
                + spans.length / 3 + "]";
    }
}
