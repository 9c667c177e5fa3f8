package dev.allocline.internal.profile;

import dev.allocline.internal.RateLimitedLog;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What one poll of the sampling boost costs, with N platform threads working for a request: the poll is called
 * in a loop on this thread (no sleeps in between), with the JVM's real per-thread counters of N parked threads,
 * listed as request threads. Prints wall and CPU time and bytes allocated per poll. Not a test (surefire does
 * not run it); run it with the jersey module's test class path:
 *
 * <pre>{@code
 * java -cp jersey/target/test-classes:jersey/target/classes:jaxrs/target/classes:<log4j-api> \
 *     dev.allocline.internal.profile.SamplingBoostPollCost 10 100 1000 2000
 * }</pre>
 *
 * <p>What could make it lie: a poll in a tight loop finds the counters and the arrays in the CPU caches, where
 * one every 10 ms may not (the figure is a floor); parked threads are found by the JVM as fast as running ones,
 * but the JVM's own id-to-thread lookup grows with the number of threads in the process; a busy host (steal)
 * inflates wall time, not CPU time. The figure excludes the {@link RequestThreads} listing itself (a fixed
 * array here; the core's listing walks one weak reference per platform thread that ever worked for a request).
 */
public final class SamplingBoostPollCost {

    private SamplingBoostPollCost() {
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = args.length == 0 ? new int[] {10, 100, 1000, 2000} : java.util.Arrays.stream(args)
                .mapToInt(Integer::parseInt).toArray();
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        System.out.println("java " + System.getProperty("java.version") + ", " + Runtime.getRuntime().availableProcessors()
                + " CPUs");
        for (int n : sizes) {
            CountDownLatch done = new CountDownLatch(1);
            long[] ids = new long[n];
            Thread[] threads = new Thread[n];
            for (int i = 0; i < n; i++) {
                threads[i] = new Thread(() -> {
                    try {
                        done.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "working-" + i);
                threads[i].setDaemon(true);
                threads[i].start();
                ids[i] = threads[i].getId();
            }
            RequestThreads listed = into -> {
                System.arraycopy(ids, 0, into, 0, Math.min(n, into.length));
                return n;
            };
            SamplingBoost boost = new SamplingBoost(32L << 20, "300/s", listed, mx::getThreadAllocatedBytes,
                    new RateLimitedLog("dev.allocline.cost", Duration.ofHours(1)), false);
            try {
                long t = System.nanoTime();
                long step = TimeUnit.MILLISECONDS.toNanos(SamplingBoost.POLL_MILLIS);
                for (int i = 0; i < 5_000; i++) {
                    boost.poll(t += step);
                }
                int polls = Math.max(2_000, 2_000_000 / n);
                long bytes = mx.getCurrentThreadAllocatedBytes();
                long cpu = mx.getCurrentThreadCpuTime();
                long wall = System.nanoTime();
                for (int i = 0; i < polls; i++) {
                    boost.poll(t += step); // synthetic 10 ms steps: windows renew every 100 polls, as in production
                }
                wall = System.nanoTime() - wall;
                cpu = mx.getCurrentThreadCpuTime() - cpu;
                bytes = mx.getCurrentThreadAllocatedBytes() - bytes;
                System.out.printf(java.util.Locale.ROOT,
                        "%5d request threads: %8.2f us wall, %8.2f us CPU, %d bytes per poll (%d polls); "
                                + "%.3f%% of one CPU at one poll per %d ms%n",
                        n, wall / 1e3 / polls, cpu / 1e3 / polls, bytes / polls, polls,
                        100.0 * cpu / polls / step, SamplingBoost.POLL_MILLIS);
            } finally {
                boost.close();
                done.countDown();
                for (Thread th : threads) {
                    th.join();
                }
            }
        }
    }
}
