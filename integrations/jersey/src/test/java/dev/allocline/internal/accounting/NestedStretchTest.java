package dev.allocline.internal.accounting;

import static dev.allocline.internal.accounting.ThreadLeaveRuleTest.MIB;
import static dev.allocline.internal.accounting.ThreadLeaveRuleTest.SLACK;
import static dev.allocline.internal.accounting.ThreadLeaveRuleTest.allocate;
import static dev.allocline.internal.accounting.ThreadLeaveRuleTest.lineOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.line.CanonicalLine;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.ThreadContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stretches ({@link ThreadWork#enterStretch}): what a Vert.x dispatch on a request's context is to the core. Strictly
 * nested on their thread, they follow the one rule of {@link ThreadWork}: a stretch inside another of the same request,
 * or inside its entered run, joins the segment on top and never closes it early; a stretch of another request pauses
 * the one below; after the line a stretch opens nothing, and none leaves anything on its thread.
 */
class NestedStretchTest {

    @BeforeAll
    static void warmUp() {
        AllocLineRuntime runtime = StackedRequestsTest.runtime();
        for (int i = 0; i < 200; i++) {
            Request r = new Request(runtime, "warm-stretch", Request.Sight.EVERY_STRETCH);
            ThreadWork.enterStretch(r);
            ThreadWork.enterStretch(r);
            ThreadWork.leaveStretch(r);
            ThreadWork.leaveStretch(r);
            r.finish(true);
        }
    }

    @AfterEach
    void clean() {
        assertNull(ThreadWork.current(), "a test left a request on the thread");
        assertNull(ThreadContext.get("request_id"), "a test left a request id in the logging context");
        ThreadContext.clearMap();
    }

    static Request request(String id) {
        return new Request(StackedRequestsTest.runtime(), id, Request.Sight.EVERY_STRETCH);
    }

    static void assertBytes(long expected, CanonicalLine line) {
        assertTrue(line.allocatedBytes() >= expected && line.allocatedBytes() < expected + SLACK, line::toString);
    }

    @Test
    void aStretchNestedInOneOfTheSameRequestJoinsItAndDoesNotEndItEarly() {
        Request r = request("nested-stretch");
        ThreadWork.enterStretch(r);
        allocate(MIB);
        ThreadWork.enterStretch(r); // a dispatch on the same context inside this one
        allocate(2 * MIB);
        ThreadWork.leaveStretch(r);
        Request afterInner = ThreadWork.current();
        allocate(4 * MIB); // the outer dispatch goes on: still the request's
        ThreadWork.leaveStretch(r);
        Request afterOuter = ThreadWork.current();
        r.finish(true);
        assertSame(r, afterInner, "the inner stretch's end did not leave");
        assertNull(afterOuter, "the outer one's did");
        CanonicalLine l = lineOf("nested-stretch");
        assertBytes(7 * MIB, l);
        assertEquals(2, l.allocReads(), "one segment: read when it opened and when it closed");
    }

    @Test
    void aStretchInsideAnEnteredRunJoinsItAndTheRunEndsIt() {
        Request r = request("stretch-in-run");
        ThreadWork.enter(r); // a run of the handler chain on a thread with no dispatch of the context around it
        ThreadWork.enterStretch(r);
        allocate(MIB);
        ThreadWork.leaveStretch(r);
        allocate(2 * MIB); // the run goes on
        Request inRun = ThreadWork.current();
        ThreadWork.leave(r);
        r.finish(true);
        assertSame(r, inRun);
        assertBytes(3 * MIB, lineOf("stretch-in-run"));
    }

    @Test
    void aStretchOfAnotherRequestInsideOnePausesIt() {
        Request outer = request("stretch-outer");
        Request inner = request("stretch-inner");
        ThreadWork.enterStretch(outer);
        allocate(MIB);
        ThreadWork.enterStretch(inner); // e.g. another request's waiter handed a pooled connection synchronously
        allocate(4 * MIB);
        String idInInner = ThreadContext.get("request_id");
        ThreadWork.leaveStretch(inner);
        String idAfterInner = ThreadContext.get("request_id");
        allocate(2 * MIB);
        ThreadWork.leaveStretch(outer);
        inner.finish(true);
        outer.finish(true);
        assertEquals("stretch-inner", idInInner);
        assertEquals("stretch-outer", idAfterInner);
        assertBytes(3 * MIB, lineOf("stretch-outer"));
        assertBytes(4 * MIB, lineOf("stretch-inner"));
    }

    @Test
    void aStretchAfterTheLineOpensNothingAndLeavesNothing() {
        Request r = request("stretch-late");
        ThreadWork.enterStretch(r);
        ThreadWork.leaveStretch(r);
        r.finish(true);
        ThreadWork.enterStretch(r); // a timer of the request firing after its line
        Request inLate = ThreadWork.current();
        String idInLate = ThreadContext.get("request_id");
        allocate(4 * MIB);
        ThreadWork.leaveStretch(r);
        assertNull(inLate, "the thread works for no request");
        assertNull(idInLate);
        assertEquals(1, ThreadLeaveRuleTest.linesOf("stretch-late").size());
    }

    @Test
    void theLineWrittenInsideNestedStretchesEndsThemAllAndTheirEndsFindNothing() {
        Request r = request("line-inside");
        ThreadWork.enterStretch(r);
        ThreadWork.enterStretch(r);
        allocate(MIB);
        r.finish(true); // the response ended inside the dispatch
        allocate(4 * MIB); // after the line: no one's
        ThreadWork.leaveStretch(r);
        ThreadWork.leaveStretch(r);
        assertBytes(MIB, lineOf("line-inside"));
    }

    @Test
    void aStretchOpenWhenTheLineIsWrittenElsewhereIsReadThereAndItsEndLeavesNothing() throws Exception {
        Request r = request("stretch-remote-end");
        CountDownLatch allocated = new CountDownLatch(1);
        CountDownLatch lineWritten = new CountDownLatch(1);
        String[] seen = new String[2];
        Thread loop = new Thread(() -> {
            ThreadWork.enterStretch(r);
            allocate(8 * MIB);
            allocated.countDown();
            try {
                lineWritten.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ThreadWork.leaveStretch(r);
            Request left = ThreadWork.current();
            seen[0] = left == null ? null : left.requestId();
            seen[1] = ThreadContext.get("request_id");
        });
        loop.start();
        assertTrue(allocated.await(10, TimeUnit.SECONDS));
        r.finish(true);
        lineWritten.countDown();
        loop.join(10_000);
        assertBytes(8 * MIB, lineOf("stretch-remote-end"));
        assertNull(seen[0], "nothing of the request left on its thread");
        assertNull(seen[1], "nor in its logging context");
    }
}
