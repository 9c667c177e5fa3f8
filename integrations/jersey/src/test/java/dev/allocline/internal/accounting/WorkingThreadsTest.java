package dev.allocline.internal.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.allocline.internal.AllocLineSettings;
import dev.allocline.internal.meter.ThreadAllocationCounter;
import dev.allocline.internal.profile.RequestThreads;
import dev.allocline.testing.Gc;
import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The slots where threads keep their top segment, and the list the sampling boost's poll reads from them: a
 * thread is listed exactly while it holds a segment, a thread that ends is dropped, and reading allocates
 * nothing. (The thread side is what {@link ThreadWork} calls; here the tests call it as ThreadWork would.)
 */
class WorkingThreadsTest {

    static final AllocLineRuntime RUNTIME = runtime();
    static final RequestThreads REGISTRY = WorkingThreads.of(RUNTIME);

    static AllocLineRuntime runtime() {
        return new AllocLineRuntime(new AllocLineSettings(List.of(), false, Duration.ofMillis(1),
                Duration.ofMinutes(1), 0, null, Duration.ofMinutes(5), "default", dev.allocline.profile.ProfileKind.JFR,
                Path.of("target/never"), 1L << 30, "300/s", Duration.ofMinutes(5), 1L << 20, true,
                Duration.ofSeconds(1), List.of(), null, null, null, false));
    }

    /**
     * An open segment of a request of {@code runtime} on the calling thread, as ThreadWork pushes it (the request
     * is begun); the tests then set the thread's slot themselves, as ThreadWork does, whether or not ThreadWork
     * keeps its stack there yet.
     */
    static Segment anOpenSegment(AllocLineRuntime runtime) {
        Request r = new Request(runtime, "r", Request.Sight.EVERY_STRETCH);
        r.begin();
        Segment s = ThreadWork.top();
        assertFalse(s.closed);
        return s;
    }

    static Segment anOpenSegment() {
        return anOpenSegment(RUNTIME);
    }

    static boolean listed(long threadId) {
        return listedBy(REGISTRY, threadId);
    }

    static boolean listedBy(RequestThreads registry, long threadId) {
        long[] ids = new long[registry.working(new long[0]) + 16];
        int n = Math.min(registry.working(ids), ids.length);
        for (int i = 0; i < n; i++) {
            if (ids[i] == threadId) {
                return true;
            }
        }
        return false;
    }

    /** Runs {@code body} on a new platform thread and waits for it. */
    static void onAThread(Runnable body) throws InterruptedException {
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        t.start();
        t.join(10_000);
        if (failed.get() != null) {
            throw new AssertionError(failed.get());
        }
    }

    @Test
    void aThreadIsListedExactlyWhileItHoldsASegment() throws InterruptedException {
        onAThread(() -> {
            long me = Thread.currentThread().getId();
            assertFalse(listed(me), "listed before it worked for a request");
            Segment s = anOpenSegment();
            WorkingThreads.top(null); // whatever ThreadWork put there: the test sets the slot itself
            assertFalse(listed(me), "listed with nothing in its slot");
            WorkingThreads.top(s);
            assertSame(s, WorkingThreads.top());
            assertTrue(listed(me), "not listed while it works for a request");
            WorkingThreads.top(null);
            assertNull(WorkingThreads.top());
            assertFalse(listed(me), "still listed after it left its last request");
        });
    }

    /** A request that finished on another thread leaves its closed segment on top until this thread moves on. */
    @Test
    void aThreadWhoseTopSegmentIsClosedIsNotListed() throws InterruptedException {
        onAThread(() -> {
            Segment s = anOpenSegment();
            WorkingThreads.top(s);
            assertTrue(listed(Thread.currentThread().getId()));
            Thread elsewhere = new Thread(() -> s.owner.finish(true)); // closes the segment from another thread
            elsewhere.start();
            try {
                elsewhere.join(10_000);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            assertTrue(s.closed);
            assertSame(s, WorkingThreads.top());
            assertFalse(listed(Thread.currentThread().getId()), "listed for a request that has finished");
            WorkingThreads.top(null);
        });
    }

    /** Each application's boost is raised by its own requests only. */
    @Test
    void aThreadWorkingForAnotherApplicationIsNotListed() throws InterruptedException {
        AllocLineRuntime other = runtime();
        onAThread(() -> {
            long me = Thread.currentThread().getId();
            WorkingThreads.top(anOpenSegment(other));
            assertFalse(listed(me), "listed for another application's request");
            assertTrue(listedBy(WorkingThreads.of(other), me), "not listed for its own application");
            WorkingThreads.top(null);
        });
    }

    @Test
    void aThreadThatEndedIsDropped() throws InterruptedException {
        AtomicReference<WeakReference<Thread>> ended = new AtomicReference<>();
        CountDownLatch working = new CountDownLatch(1);
        CountDownLatch end = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            WorkingThreads.top(anOpenSegment()); // and never leaves: the thread ends inside its request
            working.countDown();
            try {
                end.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long id = t.getId();
        t.start();
        assertTrue(working.await(10, TimeUnit.SECONDS));
        assertTrue(listed(id));
        end.countDown();
        t.join(10_000);
        ended.set(new WeakReference<>(t));
        t = null;
        Gc.awaitCleared("the ended thread", List.of(ended.get()));
        // its slot went with it (the registry holds slots weakly)
        for (int i = 0; i < 100 && listed(id); i++) {
            System.gc();
        }
        assertFalse(listed(id), "an ended thread is still listed");
    }

    @Test
    void aVirtualThreadIsNeverListed() throws Exception {
        java.util.concurrent.ExecutorService virtual;
        try {
            virtual = (java.util.concurrent.ExecutorService) java.util.concurrent.Executors.class
                    .getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        } catch (NoSuchMethodException e) {
            assumeTrue(false, "no virtual threads on this JDK");
            return;
        }
        try {
            boolean[] seen = virtual.submit(() -> {
                WorkingThreads.top(anOpenSegment());
                boolean listedWhileWorking = listed(Thread.currentThread().getId());
                WorkingThreads.top(null);
                return new boolean[] {ThreadAllocationCounter.isVirtual(Thread.currentThread()), listedWhileWorking};
            }).get(10, TimeUnit.SECONDS);
            assertTrue(seen[0], "ran on a virtual thread");
            assertFalse(seen[1], "a virtual thread was listed: its counter cannot be read from another thread");
        } finally {
            virtual.shutdown();
        }
    }

    @Test
    void listingAllocatesNothing() throws InterruptedException {
        int n = 500;
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch done = new CountDownLatch(1);
        Thread[] threads = new Thread[n];
        for (int i = 0; i < n; i++) {
            boolean works = i % 2 == 0;
            threads[i] = new Thread(() -> {
                WorkingThreads.top(anOpenSegment());
                if (!works) {
                    WorkingThreads.top(null);
                }
                ready.countDown();
                try {
                    done.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                WorkingThreads.top(null);
            });
            threads[i].setDaemon(true);
            threads[i].start();
        }
        try {
            assertTrue(ready.await(30, TimeUnit.SECONDS));
            long[] ids = new long[n];
            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            for (int i = 0; i < 1000; i++) {
                REGISTRY.working(ids);
            }
            long before = mx.getCurrentThreadAllocatedBytes();
            int listed = 0;
            for (int i = 0; i < 10_000; i++) {
                listed = REGISTRY.working(ids);
            }
            long allocated = mx.getCurrentThreadAllocatedBytes() - before;
            assertTrue(listed >= n / 2, "listed " + listed);
            assertEquals(0, allocated, "bytes allocated by 10,000 listings");
        } finally {
            done.countDown();
        }
    }
}
