package dev.allocline.internal.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A thread that leaves a request and comes straight back reopens the segment it left (#39: one object instead of
 * two per synchronous Jersey request); the reopened segment counts only from its reopening, exactly as a new one
 * would; and a task's segment, which its token still names, is never reopened for a plain enter.
 */
class ReopenedSegmentTest {

    static volatile byte[] sink;

    @Test
    void comingStraightBackReopensTheSegmentAndTheGapIsNotCounted() {
        Request r = new Request(StackedRequestsTest.runtime(), "reopen", Request.Sight.EVERY_STRETCH);
        r.begin();
        Segment first = ThreadWork.top();
        sink = new byte[1 << 20]; // counted
        ThreadWork.leave(r);
        assertNull(ThreadWork.current());
        for (int i = 0; i < 8; i++) {
            sink = new byte[1 << 20]; // between the stretches: nobody's
        }
        ThreadWork.enter(r);
        assertSame(first, ThreadWork.top(), "the segment left a moment ago is opened again");
        sink = new byte[1 << 20]; // counted
        long soFar = ThreadWork.allocatedSoFar(r);
        ThreadWork.leave(r);
        // two MiB counted, the eight between them not: exact from above as from below (a little slack for the test)
        assertTrue(soFar >= 2L << 20 && soFar < (2L << 20) + (256 << 10), () -> "counted " + soFar);
    }

    @Test
    void aTasksSegmentIsNeverReopenedForAPlainEnter() {
        Request r = new Request(StackedRequestsTest.runtime(), "task", Request.Sight.EVERY_STRETCH);
        Object token = ThreadWork.enterTask(r);
        Segment task = ThreadWork.top();
        assertSame(task, token);
        ThreadWork.leave(token);
        ThreadWork.enter(r);
        Segment plain = ThreadWork.top();
        assertNotSame(task, plain, "the token still names the task's segment");
        ThreadWork.leave(r);
        ThreadWork.enter(r);
        assertSame(plain, ThreadWork.top(), "a plain enter's own segment is");
        ThreadWork.leave(r);
        assertEquals(null, ThreadWork.current());
    }
}
