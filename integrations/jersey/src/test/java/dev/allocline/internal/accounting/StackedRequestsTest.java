package dev.allocline.internal.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.allocline.internal.AllocLineSettings;
import dev.allocline.line.CanonicalLine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.ThreadContext;
import org.junit.jupiter.api.Test;

/**
 * One thread, two requests stacked (B runs in the middle of A, as an in-process request or a resume
 * does), and A leaves first: B is still working, so the logging context must keep B's id until B leaves,
 * and then get back what was there before A.
 */
class StackedRequestsTest {

    static final List<CanonicalLine> LINES = new CopyOnWriteArrayList<>();

    static AllocLineRuntime runtime() {
        return new AllocLineRuntime(new AllocLineSettings(List.of(LINES::add), false, Duration.ofMillis(1),
                Duration.ofMinutes(1), 0, null, Duration.ofMinutes(5), "default", dev.allocline.profile.ProfileKind.JFR,
                Path.of("target/never"), 1L << 30, "300/s", Duration.ofMinutes(5), 1L << 20, true,
                Duration.ofSeconds(1), List.of(), null, "request_id", null, false));
    }

    @Test
    void theOuterRequestLeavingFirstKeepsTheInnerRequestsIdInTheContext() {
        AllocLineRuntime runtime = runtime();
        ThreadContext.put("request_id", "before");
        try {
            Request a = new Request(runtime, "a", Request.Sight.EVERY_STRETCH);
            a.begin();
            Request b = new Request(runtime, "b", Request.Sight.EVERY_STRETCH);
            b.begin();
            assertEquals("b", ThreadContext.get("request_id"));
            ThreadWork.leave(a); // A's segment is below B's: B is still working on this thread
            assertEquals("b", ThreadContext.get("request_id"), "B still runs here");
            ThreadWork.leave(b);
            assertEquals("before", ThreadContext.get("request_id"), "the value from before both is back");
            assertNull(ThreadWork.current(), "nothing of either request left on the thread");
        } finally {
            ThreadContext.remove("request_id");
        }
    }
}
