package dev.allocline.internal.profile;

import dev.allocline.internal.BackgroundThreads;
import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;

/**
 * Raises the {@code jdk.ObjectAllocationSample} rate while some thread allocates fast enough to be on its
 * way to an overrun, so the overrun's own recording has enough samples for its weights to add up to its
 * bytes. The continuous recording's throttle (300/s) is shared by the whole JVM: a request that allocates
 * 100 MiB in 40 ms got 0 samples on JDK 25 and 3-28% of its bytes in weights on JDK 17 (measured here).
 * A second recording, armed at the same rate, whose throttle is switched up raises the rate for every
 * recording (JFR applies the highest setting), and the continuous recording, which the profile is cut
 * from, gets the extra samples. Weights stay right across the gap: a sample's {@code weight} is its thread's
 * bytes since that thread's previous sample, so the first boosted sample carries the request's bytes
 * from before the boost (and whatever the thread allocated after its last sample before the request).
 *
 * <p>Trigger: one daemon thread reads every thread's allocation counter each {@link #POLL_MILLIS}
 * ({@code ThreadMXBean.getThreadAllocatedBytes(long[])}, no safepoint) and boosts when one thread
 * allocated a quarter of the profile threshold within the last second; the boost ends a second after the
 * last such reading. Requests that take longer than that to reach the threshold get their samples from the
 * continuous throttle, spread over their duration. Started and closed by {@link ProfileTrigger}; its own
 * thread does everything else. Not API.
 */
final class SamplingBoost implements AutoCloseable {

    static final long POLL_MILLIS = 10;
    /** About 20,000 samples/s at most; in practice bounded by TLAB refills (one sample per refill at most). */
    static final String BOOST_THROTTLE = "20/ms";
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final long triggerBytes;
    private final com.sun.management.ThreadMXBean threads;
    private final Thread watcher;
    private final String baseThrottle;
    /**
     * Runs from the start at the continuous rate (no effect) and is switched to {@link #BOOST_THROTTLE}:
     * {@code setSettings} on a running recording took 0.3 ms here (2 ms the first time), starting a new
     * recording 1-4 ms, and up to 36 ms cold; a fast overrun is over in tens of milliseconds.
     */
    private final Recording armed;
    private volatile boolean closed;
    /** Only the watcher touches these. */
    private Map<Long, Long> baseline = new HashMap<>();
    private long baselineAt;
    private boolean boosted;
    private long lastTrigger;
    private long boosts;

    SamplingBoost(long profileThresholdBytes, String baseThrottle) {
        this.triggerBytes = Math.max(1, profileThresholdBytes / 4);
        this.baseThrottle = baseThrottle;
        Recording r = new Recording();
        r.setName("allocline-boost");
        r.enable("jdk.ObjectAllocationSample").with("throttle", baseThrottle).withStackTrace();
        r.setToDisk(false);
        r.start();
        this.armed = r;
        this.threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        this.watcher = BackgroundThreads.newDaemon(this::run, "allocline-sampling-boost");
        watcher.start();
    }

    /** How many times the rate was raised (for tests and diagnostics). */
    long boosts() {
        return boosts;
    }

    private void run() {
        try {
            while (!closed) {
                poll(System.nanoTime());
                Thread.sleep(POLL_MILLIS);
            }
        } catch (InterruptedException e) {
            // closed
        } finally {
            armed.close();
        }
    }

    private void poll(long now) {
        long[] ids = threads.getAllThreadIds();
        long[] bytes = threads.getThreadAllocatedBytes(ids);
        boolean fast = false;
        for (int i = 0; i < ids.length; i++) {
            // A thread started since the window began (a container's new worker) allocated all its bytes in it.
            long before = baseline.getOrDefault(ids[i], 0L);
            if (bytes[i] >= 0 && bytes[i] - before >= triggerBytes) {
                fast = true;
                break;
            }
        }
        if (now - baselineAt >= WINDOW_NANOS || fast) {
            // A new window; after a trigger too, so a thread stays "fast" only while it keeps allocating.
            Map<Long, Long> next = new HashMap<>(ids.length * 2);
            for (int i = 0; i < ids.length; i++) {
                next.put(ids[i], bytes[i]);
            }
            baseline = next;
            baselineAt = now;
        }
        if (fast) {
            lastTrigger = now;
            if (!boosted) {
                startBoost();
            }
        } else if (boosted && now - lastTrigger >= LINGER_NANOS) {
            stopBoost();
        }
    }

    private void startBoost() {
        if (setThrottle(BOOST_THROTTLE)) {
            boosted = true;
            boosts++;
        }
    }

    private void stopBoost() {
        if (boosted) {
            setThrottle(baseThrottle);
            boosted = false;
        }
    }

    private boolean setThrottle(String throttle) {
        try {
            Map<String, String> s = new HashMap<>(armed.getSettings());
            s.put("jdk.ObjectAllocationSample#throttle", throttle);
            armed.setSettings(s);
            return true;
        } catch (RuntimeException e) {
            return false; // JFR refused (shutting down): the continuous rate stays; nothing else depends on it
        }
    }

    @Override
    public void close() {
        closed = true;
        watcher.interrupt();
        try {
            watcher.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
