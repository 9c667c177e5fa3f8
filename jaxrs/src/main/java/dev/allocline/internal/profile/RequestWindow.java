package dev.allocline.internal.profile;

import java.util.Arrays;

/**
 * What a profile needs to find one request's samples: its id, its wall-clock window and the ids of
 * the threads that worked on it. Made by the library at the end of each request; immutable. Not API.
 *
 * @param requestId        the request's id
 * @param startEpochMillis when the request started (wall clock)
 * @param endEpochMillis   when its response was written (wall clock)
 * @param threadIds        Java thread ids of every thread that worked on it
 */
public record RequestWindow(String requestId, long startEpochMillis, long endEpochMillis, long[] threadIds) {

    public RequestWindow {
        threadIds = threadIds.clone();
    }

    /** Whether the thread with this id worked on the request. */
    public boolean hasThread(long id) {
        for (long t : threadIds) {
            if (t == id) {
                return true;
            }
        }
        return false;
    }

    @Override
    public long[] threadIds() {
        return threadIds.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RequestWindow w && w.requestId.equals(requestId) && w.startEpochMillis == startEpochMillis
                && w.endEpochMillis == endEpochMillis && Arrays.equals(w.threadIds, threadIds);
    }

    @Override
    public int hashCode() {
        return requestId.hashCode();
    }

    @Override
    public String toString() {
        return "RequestWindow[" + requestId + ", " + startEpochMillis + ".." + endEpochMillis + ", threads="
                + Arrays.toString(threadIds) + "]";
    }
}
