package dev.allocline.internal.profile;

import java.lang.management.ManagementFactory;

/**
 * The platform threads working for a request at this moment, as {@link SamplingBoost}'s poll reads them: from
 * its own thread, every {@link SamplingBoost#POLL_MILLIS}, without stopping or signalling any request thread.
 * Only these may raise the sampling rate: a batch job or a consumer thread allocating fast is no request on its
 * way to an overrun. Virtual threads are never listed (the JVM has no counter of theirs that another thread can
 * read). Implemented by the accounting core, which knows when a thread enters and leaves a request. Not API.
 */
@FunctionalInterface
public interface RequestThreads {

    /**
     * Writes the ids of the platform threads working for a request now into {@code ids}, from index 0, and
     * returns how many there are; when that is more than {@code ids.length}, only the first {@code ids.length}
     * were written and the caller may ask again with a longer array. A racy snapshot: a thread may start or stop
     * a moment later, and is seen (or dropped) at the next poll. Called by the poll's thread only; must not
     * allocate (it runs every 10 ms) and must never make a request thread wait.
     */
    int working(long[] ids);

    /**
     * As {@link #working(long[])}, and writes into {@code starts} each listed thread's allocation counter when it
     * started its current stretch of work for the request, or -1 when unknown: a thread that starts allocating
     * fast between two polls is then measured from where its request's work began, not from the first poll that
     * sees it (one poll later, 10 ms of a short request lost). {@code starts} is at least as long as {@code ids}.
     */
    default int working(long[] ids, long[] starts) {
        int n = working(ids);
        java.util.Arrays.fill(starts, 0, Math.min(n, starts.length), -1L);
        return n;
    }

    /**
     * Every live platform thread, whatever it works for: what the boost watched before it could tell request
     * threads from others. Allocates an array of all thread ids per call (the JDK's); only for where no
     * {@link RequestThreads} of the core is wired.
     */
    static RequestThreads everyThread() {
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        return ids -> {
            long[] all = threads.getAllThreadIds();
            System.arraycopy(all, 0, ids, 0, Math.min(all.length, ids.length));
            return all.length;
        };
    }
}
