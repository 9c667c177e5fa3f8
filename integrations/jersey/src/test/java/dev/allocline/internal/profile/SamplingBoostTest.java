package dev.allocline.internal.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.internal.RateLimitedLog;
import dev.allocline.testing.CapturedLog;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The sampling boost's rules, read poll by poll: its clock and its threads are the test's (synthetic
 * {@code nanoTime} steps of 10 ms, thread ids with counters the test sets), its JFR recording is real (its
 * throttle is read back from the recording). Which
 * threads work for a request is what the poll is given ({@link RequestThreads}); only they can raise the rate,
 * at most a tenth of any minute, and a poll allocates nothing.
 */
class SamplingBoostTest {

    static final long THRESHOLD = 32L << 20;
    static final long TRIGGER = THRESHOLD / 4;
    static final long POLL = TimeUnit.MILLISECONDS.toNanos(SamplingBoost.POLL_MILLIS);
    static final String LOG = "dev.allocline.test.boost";

    /** Threads 1..n: their counters, and which of them work for a request now. */
    static final class FakeThreads implements RequestThreads {
        final long[] counter;
        final boolean[] working;

        FakeThreads(int n) {
            counter = new long[n + 1];
            working = new boolean[n + 1];
        }

        long bytes(long id) {
            return counter[(int) id];
        }

        @Override
        public int working(long[] ids) {
            int n = 0;
            for (int id = 1; id < working.length; id++) {
                if (working[id]) {
                    if (n < ids.length) {
                        ids[n] = id;
                    }
                    n++;
                }
            }
            return n;
        }
    }

    private SamplingBoost boost;

    private SamplingBoost boost(FakeThreads threads) {
        boost = new SamplingBoost(THRESHOLD, "300/s", threads, threads::bytes,
                new RateLimitedLog(LOG, Duration.ofHours(1)), false);
        return boost;
    }

    @AfterEach
    void close() {
        if (boost != null) {
            boost.close();
        }
    }

    /** The throttle of this boost's recording, as JFR holds it (other applications' boosts may run in this JVM). */
    private String throttle() {
        return boost.throttle();
    }

    @Test
    void aThreadWorkingForNoRequestNeverRaisesTheRate() {
        FakeThreads threads = new FakeThreads(2);
        threads.working[1] = true; // a request thread, idle; thread 2 is a batch job allocating fast
        SamplingBoost b = boost(threads);
        long t = System.nanoTime();
        for (int i = 0; i < 500; i++) {
            threads.counter[2] += TRIGGER;
            b.poll(t += POLL);
        }
        assertEquals(0, b.boosts(), "raised by a thread that works for no request");
        assertEquals("300/s", throttle());
    }

    @Test
    void aRequestThreadAllocatingAQuarterOfTheThresholdWithinASecondRaisesTheRateUntilItStops() {
        FakeThreads threads = new FakeThreads(2);
        threads.working[1] = true;
        SamplingBoost b = boost(threads);
        long t = System.nanoTime();
        b.poll(t += POLL);
        for (int i = 0; i < 10 && !b.boosted(); i++) {
            threads.counter[1] += TRIGGER / 5;
            b.poll(t += POLL);
        }
        assertTrue(b.boosted(), "a quarter of the threshold within 50 ms did not raise the rate");
        assertEquals(SamplingBoost.BOOST_THROTTLE, throttle());
        for (int i = 0; i < 150; i++) { // 1.5 s without allocating: past the linger of 1 s
            b.poll(t += POLL);
        }
        assertFalse(b.boosted());
        assertEquals("300/s", throttle());
    }

    /** What a thread allocated before it worked for a request (a pool thread's lifetime) is not the request's. */
    @Test
    void aThreadIsMeasuredFromWhenItStartsWorkingForARequest() {
        FakeThreads threads = new FakeThreads(1);
        threads.counter[1] = 10L << 30;
        SamplingBoost b = boost(threads);
        long t = System.nanoTime();
        b.poll(t += POLL);
        threads.working[1] = true;
        for (int i = 0; i < 300; i++) {
            threads.counter[1] += TRIGGER / 200; // a quarter of the threshold every 2 s: too slow
            b.poll(t += POLL);
        }
        assertEquals(0, b.boosts());
    }

    /**
     * A request thread that allocates fast for three minutes (a long export, or one overrun after another) gets
     * the boost for at most 6 s of any 60 s, and the cap is logged once when it first bites.
     */
    @Test
    void theBoostIsOnAtMostATenthOfAnyMinuteAndTheCapIsLoggedWhenItBites() {
        FakeThreads threads = new FakeThreads(1);
        threads.working[1] = true;
        try (CapturedLog log = CapturedLog.of(LOG)) {
            SamplingBoost b = boost(threads);
            long t = System.nanoTime();
            int polls = (int) (TimeUnit.MINUTES.toNanos(3) / POLL);
            boolean[] on = new boolean[polls];
            for (int i = 0; i < polls; i++) {
                threads.counter[1] += TRIGGER;
                b.poll(t += POLL);
                on[i] = b.boosted();
            }
            int perMinute = (int) (TimeUnit.MINUTES.toNanos(1) / POLL);
            int inWindow = 0;
            int most = 0;
            int total = 0;
            for (int i = 0; i < polls; i++) {
                inWindow += on[i] ? 1 : 0;
                total += on[i] ? 1 : 0;
                if (i >= perMinute) {
                    inWindow -= on[i - perMinute] ? 1 : 0;
                }
                most = Math.max(most, inWindow);
            }
            long mostNanos = most * POLL;
            System.out.println("boost: at most " + TimeUnit.NANOSECONDS.toMillis(mostNanos) + " ms of any minute, "
                    + TimeUnit.NANOSECONDS.toMillis(total * POLL) + " ms of 3 minutes, capped " + b.cappedTimes() + " times");
            assertTrue(mostNanos <= SamplingBoost.DUTY_CAP_NANOS + 2 * POLL,
                    "boosted " + TimeUnit.NANOSECONDS.toMillis(mostNanos) + " ms of one minute");
            assertTrue(total * POLL >= 2 * SamplingBoost.DUTY_CAP_NANOS,
                    "the cap let the boost come back as the minute moved on: " + total * POLL + " ns");
            assertTrue(b.cappedTimes() >= 1);
            List<String> warnings = log.events().stream().map(e -> e.getMessage().getFormattedMessage()).toList();
            assertEquals(1, warnings.size(), () -> "one warning within the log period: " + warnings);
            assertTrue(warnings.get(0).contains("10%") && warnings.get(0).contains("sampling"), warnings.get(0));
        }
    }

    /**
     * Every 10 ms for the life of the application: 2,000 request threads read, windows renewed every second, a
     * fast thread holding the boost on, all without allocating (it was ~150 KB per poll after a trigger, with a
     * boxed map of every thread, and two arrays of all threads per poll).
     */
    @Test
    void aPollAllocatesNothing() {
        int n = 2000;
        FakeThreads threads = new FakeThreads(n);
        for (int id = 1; id <= n; id++) {
            threads.working[id] = true;
        }
        SamplingBoost b = boost(threads);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long t = System.nanoTime();
        for (int i = 0; i < 1000; i++) { // warm-up: arrays grown to 2,000 threads, code compiled
            threads.counter[1 + i % n] += TRIGGER / 1000;
            b.poll(t += POLL);
        }
        threads.counter[7] += TRIGGER;
        b.poll(t += POLL); // the boost goes on (JFR's settings are copied: that allocates, once per switch)
        assertTrue(b.boosted());
        long before = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 300; i++) { // 3 s: three windows, a trigger at every poll, the boost stays on
            threads.counter[7] += TRIGGER;
            b.poll(t += POLL);
        }
        long whileBoosted = mx.getCurrentThreadAllocatedBytes() - before;
        for (int i = 0; i < 200; i++) { // the boost ends (JFR's settings copied once more: not counted)
            b.poll(t += POLL);
        }
        assertFalse(b.boosted());
        before = mx.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 10_000; i++) { // 100 s of request threads allocating slowly
            threads.counter[1 + i % n] += 1000;
            b.poll(t += POLL);
        }
        long quiet = mx.getCurrentThreadAllocatedBytes() - before;
        System.out.println("boost: " + whileBoosted + " bytes allocated by 300 boosted polls and " + quiet
                + " by 10,000 quiet ones, of " + n + " request threads");
        assertEquals(0, whileBoosted, "bytes allocated by 300 polls while boosted");
        assertEquals(0, quiet, "bytes allocated by 10,000 polls");
    }
}
