package dev.allocline.internal.accounting;

import dev.allocline.line.CanonicalLine;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * The JFR event {@value #NAME}: a request's canonical line, in the recording beside its stretches
 * ({@link StretchEvents}), so a reader of any recording has the line's exact figure next to the sampled
 * one. Off by default; allocline's own continuous recording enables it. Disabled it costs a volatile read or a
 * read of the type's state per request (nothing is allocated). Committed by the thread that writes the line. Not API.
 */
@Name(LineEvent.NAME)
@Label("allocline Line")
@Category("allocline")
@Description("A request's canonical line: its exact allocated bytes")
@Enabled(false)
@StackTrace(false)
final class LineEvent extends Event {

    static final String NAME = "dev.allocline.Line";

    /** Made at the first line that finds JFR initialized (see {@link StretchEvents}: registering wakes JFR up). */
    private static final class Holder {
        static final EventType TYPE = type();
    }

    @Label("Request ID")
    String request_id;
    @Label("Route")
    String route;
    @Label("Method")
    String method;
    @Label("Status")
    int status;
    @Label("Allocated")
    @DataAmount
    long alloc_bytes;
    @Label("Threads")
    int alloc_threads;

    private static EventType type() {
        try {
            return EventType.getEventType(LineEvent.class);
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** Commits {@code line} when some recording wants it; called only once JFR is initialized. */
    static void commit(CanonicalLine line) {
        EventType t = Holder.TYPE;
        if (t == null || !t.isEnabled()) {
            return;
        }
        LineEvent e = new LineEvent();
        e.request_id = line.requestId();
        e.route = line.httpRoute();
        e.method = line.httpMethod();
        e.status = line.status();
        e.alloc_bytes = line.allocatedBytes();
        e.alloc_threads = line.allocThreads();
        e.commit();
    }
}
