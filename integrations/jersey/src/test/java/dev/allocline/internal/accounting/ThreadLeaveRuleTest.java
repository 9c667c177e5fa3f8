package dev.allocline.internal.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.line.CanonicalLine;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.logging.log4j.ThreadContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The core's one rule for when a thread stops working for a request ({@link ThreadWork}), on one thread and
 * between threads, independent of any runtime: a bracketed segment (its entry point sees the thread leave)
 * is read remotely and resumed after nested work; an unbracketed one (the standard filters) is dropped
 * uncounted once its thread starts another request's work or the request ends elsewhere, and the request
 * keeps its one line, flagged {@code alloc_partial=thread_left}; a request whose end never comes gets
 * {@code end_not_seen} from the bounded sweep, and only then.
 */
class ThreadLeaveRuleTest {

    static final long MIB = 1L << 20;
    /** What the test's own bookkeeping may allocate on the thread beside what a test allocates on purpose. */
    static final long SLACK = 64L << 10;
    static volatile Object sink;

    /** Class loading and first-call caches (Log4j2's context map among them) allocate too: not in any test's figure. */
    @BeforeAll
    static void warmUp() {
        AllocLineRuntime runtime = StackedRequestsTest.runtime();
        for (int i = 0; i < 200; i++) {
            Request outer = new Request(runtime, "warm-outer", Request.Sight.EVERY_STRETCH);
            outer.begin();
            Request inner = new Request(runtime, "warm-inner", Request.Sight.STARTS);
            inner.begin();
            Object token = ThreadWork.enterTask(inner);
            ThreadWork.leave(token);
            inner.finish(true);
            outer.finish(true);
        }
        StackedRequestsTest.LINES.clear();
    }

    // Assertions run outside the requests' segments: loading an assertion class the first time allocates ~200 KB.

    @AfterEach
    void clean() {
        ThreadContext.clearMap();
        assertNull(ThreadWork.current(), "a test left a request on the thread");
    }

    static void allocate(long bytes) {
        for (long left = bytes; left > 0; left -= 64 << 10) {
            sink = new byte[(64 << 10) - 16];
        }
    }

    static List<CanonicalLine> linesOf(String id) {
        return StackedRequestsTest.LINES.stream().filter(l -> l.requestId().equals(id)).collect(Collectors.toList());
    }

    static CanonicalLine lineOf(String id) {
        List<CanonicalLine> lines = linesOf(id);
        assertEquals(1, lines.size(), () -> "one line for " + id + ": " + lines);
        return lines.get(0);
    }

    @Test
    void aFilteredRequestLeftOnItsThreadIsNotChargedTheNextRequestsWorkAndKeepsItsRealEnd() throws Exception {
        AllocLineRuntime runtime = StackedRequestsTest.runtime();
        Request left = new Request(runtime, "left-1", Request.Sight.STARTS);
        left.begin();
        allocate(MIB); // its own work, on a thread whose leave the filters never saw
        Request next = new Request(runtime, "next-1", Request.Sight.STARTS);
        next.begin(); // the thread went back to the pool and serves the next request
        Request currentInNext = ThreadWork.current();
        String contextInNext = ThreadContext.get("request_id");
        allocate(4 * MIB);
        next.status(200);
        next.finish(true);
        assertSame(next, currentInNext);
        assertEquals("next-1", contextInNext);
        assertNull(ThreadWork.current(), "nothing of the left request comes back under the next one");
        assertNull(ThreadContext.get("request_id"));
        assertTrue(linesOf("left-1").isEmpty(), "the left request is still pending: no line yet");

        Thread completer = new Thread(() -> {
            left.status(200);
            left.finish(true); // its real end, on another thread (an async result the filters did not know)
        });
        completer.start();
        completer.join(10_000);
        CanonicalLine l = lineOf("left-1");
        assertEquals(200, l.status(), "the real status, not status=0");
        assertTrue(l.responseWritten());
        assertTrue(l.allocatedBytes() >= 0 && l.allocatedBytes() < SLACK,
                () -> "the dropped part is not counted, and nothing of the next request is: " + l);
        assertEquals("thread_left", l.fields().get("alloc_partial"), l::toString);
        CanonicalLine n = lineOf("next-1");
        assertTrue(n.allocatedBytes() >= 4 * MIB && n.allocatedBytes() < 4 * MIB + SLACK, n::toString);
        assertFalse(n.fields().containsKey("alloc_partial"), n::toString);
    }

    @Test
    void aFilteredRequestOpenOnAnotherThreadAtItsEndIsNotReadThere() throws Exception {
        AllocLineRuntime runtime = StackedRequestsTest.runtime();
        Request r = new Request(runtime, "remote-unbracketed", Request.Sight.STARTS);
        CountDownLatch begun = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread pool = new Thread(() -> {
            r.begin();
            begun.countDown();
            allocate(8 * MIB); // the pool thread's later, unrelated work: the filters never saw it leave
            try {
                done.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        pool.start();
        assertTrue(begun.await(10, TimeUnit.SECONDS));
        waitUntilAllocated(pool, 8 * MIB);
        r.status(200);
        r.finish(true);
        done.countDown();
        pool.join(10_000);
        CanonicalLine l = lineOf("remote-unbracketed");
        assertTrue(l.allocatedBytes() >= 0 && l.allocatedBytes() < SLACK, () -> "the pool's work was charged: " + l);
        assertEquals("thread_left", l.fields().get("alloc_partial"));
    }

    @Test
    void aBracketedSegmentOpenOnAnotherThreadAtTheEndIsReadThere() throws Exception {
        AllocLineRuntime runtime = StackedRequestsTest.runtime();
        Request r = new Request(runtime, "remote-bracketed", Request.Sight.EVERY_STRETCH);
        r.begin();
        CountDownLatch begun = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread task = new Thread(() -> {
            Object token = ThreadWork.enterTask(r); // a wrapped task: provably the request's until it returns
            allocate(8 * MIB);
            begun.countDown();
            try {
                done.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ThreadWork.leave(token);
        });
        task.start();
        assertTrue(begun.await(10, TimeUnit.SECONDS));
        r.finish(true);
        done.countDown();
        task.join(10_000);
        CanonicalLine l = lineOf("remote-bracketed");
        assertTrue(l.allocatedBytes() >= 8 * MIB && l.allocatedBytes() < 8 * MIB + 2 * SLACK, l::toString);
        assertFalse(l.fields().containsKey("alloc_partial"), l::toString);
    }

    @Test
    void aPendingRequestWhoseEndNeverComesGetsEndNotSeenFromTheSweepOnlyAfterItsTimeout() {
        AllocLineRuntime runtime = StackedRequestsTest.runtime();
        Request lost = new Request(runtime, "lost", Request.Sight.STARTS);
        lost.describe("GET", "/boom");
        lost.route("/boom");
        lost.begin();
        long beforeDrop = System.nanoTime();
        Request next = new Request(runtime, "after-lost", Request.Sight.STARTS);
        next.begin(); // the runtime answered "lost" outside the filters; its thread serves the next request
        long droppedAt = System.nanoTime();
        next.finish(true);
        runtime.sweepPending(beforeDrop + PendingRequests.TIMEOUT_NANOS - 1);
        assertTrue(linesOf("lost").isEmpty(), "swept before its time: a late end would lose its real line");
        runtime.sweepPending(droppedAt + PendingRequests.TIMEOUT_NANOS + 1);
        CanonicalLine line = lineOf("lost");
        assertEquals(-1L, line.allocatedBytes(), "its own work is not known");
        assertEquals(Optional.of(Request.END_NOT_SEEN), line.allocUnavailableReason());
        assertEquals(0, line.status(), "no response filter saw a status");
        assertFalse(line.responseWritten());
        assertEquals("/boom", line.httpRoute());
        lost.status(200);
        lost.finish(true); // an end after the sweep: still one line
        assertEquals(1, linesOf("lost").size());
    }

    @Test
    void stoppingTheApplicationWritesThePendingLines() {
        AllocLineRuntime runtime = StackedRequestsTest.runtime();
        Request lost = new Request(runtime, "lost-at-stop", Request.Sight.STARTS);
        lost.begin();
        Request next = new Request(runtime, "after-lost-at-stop", Request.Sight.STARTS);
        next.begin();
        next.finish(true);
        runtime.stop();
        assertEquals(Optional.of(Request.END_NOT_SEEN), lineOf("lost-at-stop").allocUnavailableReason());
    }

    @Test
    void aPendingRequestThatEndsIsNotSweptAgain() {
        AllocLineRuntime runtime = StackedRequestsTest.runtime();
        Request pending = new Request(runtime, "ends-later", Request.Sight.STARTS);
        pending.begin();
        Request next = new Request(runtime, "before-end", Request.Sight.STARTS);
        next.begin();
        next.finish(true);
        pending.finish(true);
        runtime.sweepPending(System.nanoTime() + 2 * PendingRequests.TIMEOUT_NANOS);
        CanonicalLine l = lineOf("ends-later");
        assertTrue(l.allocUnavailableReason().isEmpty(), l::toString);
    }

    @Test
    void anEventRequestBelowIsPausedAndResumedByAFilteredRequestAbove() {
        AllocLineRuntime runtime = StackedRequestsTest.runtime();
        Request outer = new Request(runtime, "outer-events", Request.Sight.EVERY_STRETCH);
        outer.begin();
        allocate(MIB);
        Request inner = new Request(runtime, "inner-filters", Request.Sight.STARTS);
        inner.begin(); // e.g. an in-process request made from the outer request's method
        allocate(4 * MIB);
        inner.finish(true);
        Request afterInner = ThreadWork.current();
        allocate(2 * MIB);
        outer.finish(true);
        assertSame(outer, afterInner, "the outer request's bracketed segment goes on");
        CanonicalLine o = lineOf("outer-events");
        CanonicalLine i = lineOf("inner-filters");
        assertTrue(o.allocatedBytes() >= 3 * MIB && o.allocatedBytes() < 3 * MIB + SLACK, () -> o + " " + i);
        assertTrue(i.allocatedBytes() >= 4 * MIB && i.allocatedBytes() < 4 * MIB + SLACK, i::toString);
    }

    @Test
    void aRequestsOwnTaskRunInlineResumesItsUnbracketedSegment() {
        AllocLineRuntime runtime = StackedRequestsTest.runtime();
        Request r = new Request(runtime, "own-inline-task", Request.Sight.STARTS);
        r.begin();
        allocate(MIB);
        Object token = ThreadWork.enterTask(r); // AllocLine.wrap'd task run by the caller (CallerRunsPolicy)
        allocate(2 * MIB);
        ThreadWork.leave(token);
        Request afterTask = ThreadWork.current();
        allocate(MIB);
        r.finish(true);
        assertSame(r, afterTask);
        CanonicalLine l = lineOf("own-inline-task");
        assertTrue(l.allocatedBytes() >= 4 * MIB && l.allocatedBytes() < 4 * MIB + SLACK, l::toString);
        assertFalse(l.fields().containsKey("alloc_partial"), l::toString);
    }

    @Test
    void aSegmentPausedUnderARequestFinishedElsewhereIsNotChargedThatRequestsWork() throws Exception {
        AllocLineRuntime runtime = StackedRequestsTest.runtime();
        Request outer = new Request(runtime, "paused-outer", Request.Sight.EVERY_STRETCH);
        outer.begin();
        Request inner = new Request(runtime, "finished-elsewhere", Request.Sight.EVERY_STRETCH);
        inner.begin();
        Thread other = new Thread(() -> inner.finish(true)); // closes the inner segment while this thread is in it
        other.start();
        other.join(10_000);
        allocate(8 * MIB); // still the inner request's work on this thread, after its line: no one's
        Request third = new Request(runtime, "third", Request.Sight.EVERY_STRETCH);
        third.begin(); // unwinds the closed inner segment; the outer one is paused already
        third.finish(true);
        outer.finish(true);
        CanonicalLine o = lineOf("paused-outer");
        assertTrue(o.allocatedBytes() >= 0 && o.allocatedBytes() < SLACK,
                () -> "the paused outer request was charged the work above it: " + o);
    }

    /** Waits until {@code t}'s counter passed {@code bytes} (the allocation above ran). */
    static void waitUntilAllocated(Thread t, long bytes) throws InterruptedException {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (mx.getThreadAllocatedBytes(t.getId()) < bytes) {
            assertTrue(System.nanoTime() < deadline, "the thread never allocated");
            Thread.sleep(1);
        }
    }
}
