package dev.allocline.internal.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.allocline.line.CanonicalLine;
import java.util.Optional;
import org.apache.logging.log4j.ThreadContext;
import org.junit.jupiter.api.Test;

/**
 * A request of the standard filters whose end hooks never ran (the runtime answered it outside the
 * filter chain) is still open on its thread when that thread starts the next request. It must get its
 * line then, saying that its bytes are unknown rather than charging it what the thread did since, and
 * leave nothing on the thread. A Jersey-event request open below is not the filters' to end.
 */
class EndNotSeenTest {

    @Test
    void aFilteredRequestLeftOpenGetsItsLineWhenItsThreadStartsAnotherRequest() {
        StackedRequestsTest.LINES.clear();
        AllocLineRuntime runtime = StackedRequestsTest.runtime();
        Request lost = new Request(runtime, "lost", true);
        lost.describe("GET", "/boom");
        lost.route("/boom");
        lost.begin();
        byte[] later = new byte[1 << 20]; // the thread's work after the runtime answered: not the request's
        Request.endStaleOnThisThread();
        assertEquals(1, StackedRequestsTest.LINES.size(), "the lost request's line");
        CanonicalLine line = StackedRequestsTest.LINES.get(0);
        assertEquals("lost", line.requestId());
        assertEquals(-1L, line.allocatedBytes(), "its bytes cannot be told apart from the thread's later work");
        assertEquals(Optional.of(Request.END_NOT_SEEN), line.allocUnavailableReason());
        assertEquals(0, line.status(), "no response filter saw a status");
        assertFalse(line.responseWritten());
        assertEquals("/boom", line.httpRoute());
        assertNull(ThreadWork.current(), "nothing of it left on the thread");
        assertNull(ThreadContext.get("request_id"), "nor in its logging context");
        assertEquals(1 << 20, later.length);
    }

    @Test
    void aRequestFollowedByJerseysEventsIsNotEndedByTheFilters() {
        StackedRequestsTest.LINES.clear();
        AllocLineRuntime runtime = StackedRequestsTest.runtime();
        Request jersey = new Request(runtime, "jersey", false);
        jersey.begin();
        try {
            Request.endStaleOnThisThread();
            assertEquals(0, StackedRequestsTest.LINES.size());
            assertEquals(jersey, ThreadWork.current());
        } finally {
            jersey.finish(true);
        }
        assertNull(ThreadWork.current());
    }
}
