package dev.allocline.internal.profile;

import dev.allocline.internal.BackgroundThreads;
import dev.allocline.internal.RateLimitedLog;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongUnaryOperator;
import jdk.jfr.Recording;

/**
 * Raises the {@code jdk.ObjectAllocationSample} rate while a request allocates fast enough to be on its way
 * to an overrun, so the overrun's own recording has enough samples for its weights to add up to its bytes.
 * The continuous recording's throttle (300/s) is shared by the whole JVM: a request that allocates 100 MiB
 * in 40 ms got 0 samples on JDK 25 and 3-28% of its bytes in weights on JDK 17 (measured here). A second
 * recording, armed at the same rate, whose throttle is switched up raises the rate for every recording (JFR
 * applies the highest setting), and the continuous recording, which the profile is cut from, gets the extra
 * samples. Weights stay right across the gap: a sample's {@code weight} is its thread's bytes since that
 * thread's previous sample, so the first boosted sample carries the request's bytes from before the boost
 * (and whatever the thread allocated after its last sample before the request).
 *
 * <p>Trigger: one daemon thread, every {@link #POLL_MILLIS}, reads the allocation counter of each thread
 * working for a request ({@link RequestThreads}; {@code ThreadMXBean.getThreadAllocatedBytes(long)}, no
 * safepoint, nothing allocated) and boosts when one of them allocated a quarter of the profile threshold
 * within the last second; the boost ends a second after the last such reading. Only request threads count:
 * a batch job or a consumer thread allocating that fast would otherwise keep JFR taking stack traces at
 * 20/ms for as long as it runs. A thread new to the window is measured from its counter where its current
 * stretch of work for the request began (the core knows it), not from the first poll that sees it: that poll
 * comes up to 10 ms late, a quarter of a short overrun (its counter holds all it allocated before the request,
 * so neither is zero). Requests that take longer than that to reach the threshold
 * get their samples from the continuous throttle, spread over their duration.
 *
 * <p>Bounded: boosted at most {@link #DUTY_CAP_PERCENT}% of any minute (a request that allocates fast for
 * minutes, or one after another, keeps the boost only that long); when the cap stops or refuses a boost, the
 * failure log says so, rate-limited. A poll allocates nothing: the ids, the counters and the window's
 * starting counters live in primitive arrays kept from poll to poll, grown only when more threads work at
 * once than ever before. Started and closed by {@link ProfileTrigger}; its own thread does everything else.
 * Not API.
 */
final class SamplingBoost implements AutoCloseable {

    static final long POLL_MILLIS = 10;
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS);
    /** About 20,000 samples/s at most; in practice bounded by TLAB refills (one sample per refill at most). */
    static final String BOOST_THROTTLE = "20/ms";
    static final int DUTY_CAP_PERCENT = 10;
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The duty cycle is kept per second over the last minute. */
    private static final int DUTY_SECONDS = 60;
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    static final long DUTY_CAP_NANOS = DUTY_SECONDS * SECOND * DUTY_CAP_PERCENT / 100;

    private final long triggerBytes;
    private final RequestThreads requestThreads;
    /** A thread's allocated bytes by id, -1 when unavailable; the JVM's counter outside tests. */
    private final LongUnaryOperator counters;
    private final RateLimitedLog failures;
    private final Thread watcher;
    private final String baseThrottle;
    /**
     * Runs from the start at the continuous rate (no effect) and is switched to {@link #BOOST_THROTTLE}:
     * {@code setSettings} on a running recording took 0.3 ms here (2 ms the first time), starting a new
     * recording 1-4 ms, and up to 36 ms cold; a fast overrun is over in tens of milliseconds.
     */
    private final Recording armed;
    private volatile boolean closed;

    // Only the polling thread touches what follows.
    /** This poll's working threads and their counters; {@code ids.length} is the capacity. */
    private long[] ids = new long[64];
    private long[] bytes = new long[64];
    /** Each listed thread's counter when its current stretch for the request began (-1: unknown). */
    private long[] starts = new long[64];
    /**
     * The counter of each thread at the start of the window (or when first seen in it): open addressing on the
     * thread id (never 0), linear probing, at most half full.
     */
    private long[] windowIds = new long[256];
    private long[] windowBytes = new long[256];
    private int windowSize;
    private long windowStart;
    private boolean boosted;
    private long lastTrigger;
    private long boosts;
    /** Boosted nanoseconds per second of the last minute, a ring indexed by second; and their sum. */
    private final long[] dutyBySecond = new long[DUTY_SECONDS];
    private long dutyTotal;
    private long dutySecond;
    private long lastPoll;
    private final long origin;
    private boolean capped;
    private long cappedTimes;

    /** A boost watching {@code requestThreads}' counters every {@link #POLL_MILLIS}, from its own thread. */
    SamplingBoost(long profileThresholdBytes, String baseThrottle, RequestThreads requestThreads, RateLimitedLog failures) {
        this(profileThresholdBytes, baseThrottle, requestThreads, threadCounters(), failures, true);
    }

    /** For tests: {@code watch} false starts no thread, and the test calls {@link #poll(long)} itself. */
    SamplingBoost(long profileThresholdBytes, String baseThrottle, RequestThreads requestThreads,
                  LongUnaryOperator counters, RateLimitedLog failures, boolean watch) {
        this.triggerBytes = Math.max(1, profileThresholdBytes / 4);
        this.baseThrottle = baseThrottle;
        this.requestThreads = requestThreads;
        this.counters = counters;
        this.failures = failures;
        Recording r = new Recording();
        r.setName("allocline-boost");
        r.enable("jdk.ObjectAllocationSample").with("throttle", baseThrottle).withStackTrace();
        r.setToDisk(false);
        r.start();
        this.armed = r;
        this.origin = System.nanoTime();
        this.lastPoll = origin;
        this.windowStart = origin;
        if (watch) {
            this.watcher = BackgroundThreads.newDaemon(this::run, "allocline-sampling-boost");
            watcher.start();
        } else {
            this.watcher = null;
        }
    }

    private static LongUnaryOperator threadCounters() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        // The one-id read allocates nothing (the array form returns a new array per call).
        return threads::getThreadAllocatedBytes;
    }

    /** How many times the rate was raised (for tests and diagnostics). */
    long boosts() {
        return boosts;
    }

    /** Whether the rate is raised now (for tests). */
    boolean boosted() {
        return boosted;
    }

    /** The armed recording's allocation-sample throttle now (for tests and diagnostics). */
    String throttle() {
        return armed.getSettings().get("jdk.ObjectAllocationSample#throttle");
    }

    /** How many times the duty-cycle cap stopped or refused a boost (for tests and diagnostics). */
    long cappedTimes() {
        return cappedTimes;
    }

    private void run() {
        try {
            while (!closed && !Thread.currentThread().isInterrupted()) {
                poll(System.nanoTime());
                // Not Thread.sleep: from JDK 21 on it allocates a ThreadSleepEvent per call (40 B, every 10 ms).
                LockSupport.parkNanos(POLL_NANOS);
            }
        } finally {
            armed.close();
        }
    }

    /** One reading of the request threads at {@code now} ({@code System.nanoTime}); allocates nothing. */
    void poll(long now) {
        accountDuty(now);
        int n = requestThreads.working(ids, starts);
        if (n > ids.length) {
            grow(n);
            n = Math.min(requestThreads.working(ids, starts), ids.length);
        }
        if (windowSize + n > windowIds.length / 2) {
            clearWindow(now); // threads came and went within the window: a new one keeps the table half empty
        }
        boolean fast = false;
        for (int i = 0; i < n; i++) {
            long b = counters.applyAsLong(ids[i]);
            bytes[i] = b;
            // A thread new to the window is measured from where its stretch for the request began, when that is
            // known and no later than now: it started within the window (it was not listed at its start).
            long since = starts[i] >= 0 && starts[i] <= b ? starts[i] : b;
            if (b >= 0 && b - windowCounter(ids[i], since) >= triggerBytes) {
                fast = true;
            }
        }
        if (fast || now - windowStart >= WINDOW_NANOS) {
            // A new window; after a trigger too, so a thread stays "fast" only while it keeps allocating.
            clearWindow(now);
            for (int i = 0; i < n; i++) {
                if (bytes[i] >= 0) {
                    windowCounter(ids[i], bytes[i]);
                }
            }
        }
        if (fast) {
            lastTrigger = now;
        }
        boolean wanted = fast || (boosted && now - lastTrigger < LINGER_NANOS);
        if (wanted && dutyTotal >= DUTY_CAP_NANOS) {
            if (!capped) {
                capped = true;
                cappedTimes++;
                failures.warn("sampling-boost-cap", "allocline: the allocation sampling boost was on for "
                        + TimeUnit.NANOSECONDS.toMillis(dutyTotal) + " ms of the last " + DUTY_SECONDS + " s, its cap ("
                        + DUTY_CAP_PERCENT + "%): JFR samples allocations at the continuous rate (" + baseThrottle
                        + ") until the minute has room again, so a fast overrun now may get fewer samples", null);
            }
            wanted = false;
        } else if (dutyTotal < DUTY_CAP_NANOS) {
            capped = false;
        }
        if (wanted && !boosted) {
            startBoost();
        } else if (!wanted && boosted) {
            stopBoost();
        }
    }

    /** Adds the time boosted since the last poll to this second, and forgets seconds older than a minute. */
    private void accountDuty(long now) {
        long second = Math.max(0, now - origin) / SECOND;
        if (second > dutySecond) {
            // At most a minute of slots to clear, however long the gap since the last poll.
            for (long s = Math.max(dutySecond + 1, second - DUTY_SECONDS + 1); s <= second; s++) {
                int slot = (int) (s % DUTY_SECONDS);
                dutyTotal -= dutyBySecond[slot];
                dutyBySecond[slot] = 0;
            }
            dutySecond = second;
        }
        if (boosted && now > lastPoll) {
            long d = now - lastPoll;
            dutyBySecond[(int) (second % DUTY_SECONDS)] += d;
            dutyTotal += d;
        }
        lastPoll = now;
    }

    /**
     * {@code id}'s counter at the start of the window; recorded as {@code now} when the thread is new to the
     * window (it may have worked for no request before: its counter holds all it ever allocated).
     */
    private long windowCounter(long id, long now) {
        int mask = windowIds.length - 1;
        for (int i = slot(id, mask); ; i = (i + 1) & mask) {
            long k = windowIds[i];
            if (k == id) {
                return windowBytes[i];
            }
            if (k == 0) {
                windowIds[i] = id;
                windowBytes[i] = now;
                windowSize++;
                return now;
            }
        }
    }

    private static int slot(long id, int mask) {
        return (int) ((id * 0x9E3779B97F4A7C15L) >>> 40) & mask;
    }

    private void clearWindow(long now) {
        Arrays.fill(windowIds, 0L);
        windowSize = 0;
        windowStart = now;
    }

    /** More threads work at once than ever before: room for them (a power of two), and a window table 4x that. */
    private void grow(int n) {
        int capacity = Integer.highestOneBit(n - 1) << 1;
        ids = new long[capacity];
        bytes = new long[capacity];
        starts = new long[capacity];
        windowIds = new long[capacity * 4];
        windowBytes = new long[capacity * 4];
        windowSize = 0;
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
        if (watcher == null) {
            armed.close();
            return;
        }
        watcher.interrupt();
        try {
            watcher.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
