package dev.allocline.internal.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.logging.log4j.ThreadContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The race of a late push: a thread starts work for a request (a wrapped task, a late event), the request
 * accepts its segment, and before the thread publishes the segment in its thread-local and logging
 * context, the request finishes on another thread and closes it. Made deterministic with the push's test
 * seam: the worker stops right there until the finish is done. The thread must keep neither the closed
 * segment nor the request's id.
 */
class FinishDuringPushTest {

    @AfterEach
    void removeHook() {
        ThreadWork.afterOpen = null;
    }

    @Test
    void aRequestFinishedBetweenOpenAndPublishLeavesNothingOnThePushingThread() throws Exception {
        AllocLineRuntime runtime = StackedRequestsTest.runtime();
        Request request = new Request(runtime, "raced", Request.Sight.EVERY_STRETCH);
        CountDownLatch opened = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        AtomicReference<Thread> worker = new AtomicReference<>();
        ThreadWork.afterOpen = () -> {
            if (Thread.currentThread() == worker.get()) {
                opened.countDown();
                try {
                    assertTrue(finished.await(10, TimeUnit.SECONDS), "the request never finished");
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        };
        AtomicReference<Object> token = new AtomicReference<>("not run");
        AtomicReference<Segment> top = new AtomicReference<>();
        AtomicReference<String> context = new AtomicReference<>();
        AtomicReference<Request> current = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                ThreadContext.put("request_id", "before");
                token.set(ThreadWork.enterTask(request));
                top.set(ThreadWork.top());
                context.set(ThreadContext.get("request_id"));
                current.set(ThreadWork.current());
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                ThreadContext.clearMap();
            }
        }, "late-pusher");
        worker.set(t);
        t.start();
        assertTrue(opened.await(10, TimeUnit.SECONDS), "the worker never reached the seam");
        request.finish(true); // on this thread, while the worker holds an accepted, unpublished segment
        finished.countDown();
        t.join(10_000);
        assertNull(failure.get(), () -> "the worker failed: " + failure.get());
        assertTrue(request.isFinished());
        assertNull(top.get(), "the thread keeps the closed segment");
        assertEquals("before", context.get(), "the thread's logging context after the push");
        assertNull(current.get());
        assertNull(token.get(), "a task started for a finished request gets no token");
        assertTrue(StackedRequestsTest.LINES.stream().anyMatch(l -> l.requestId().equals("raced")),
                "the request's line was written");
    }
}
