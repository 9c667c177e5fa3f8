package dev.allocline.internal.accounting;

import java.util.ArrayList;
import java.util.List;
import jdk.jfr.AnnotationElement;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.EventFactory;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;
import jdk.jfr.ValueDescriptor;

/**
 * The JFR event {@value #NAME}: one per stretch a thread works for a request (a segment from when it opens
 * or resumes to when it pauses, closes or its thread leaves), committed on that thread, carrying the
 * request's id, route, method and trace id. On JDK 25+ those fields are {@code @jdk.jfr.Contextual}
 * (JDK-8356698): {@code jfr print} then shows the request above every event of the same thread inside the
 * stretch (allocation samples, GC, monitor waits), in any recording that enables this event. The JVM adds
 * nothing to other events; readers match by thread and time, hence one event per stretch.
 *
 * <p>Defined with {@link EventFactory} rather than as an {@code Event} subclass so that the annotation,
 * which JDK 17 to 24 do not have, is added only where it exists, from the one class file the library
 * ships for release 17. Off by default: a recording enables it by name (allocline's own continuous
 * recording does). Disabled, a stretch costs a volatile read (JFR not initialized) or a read of the event
 * type's state.
 *
 * <p>Threading: {@link #begin} and {@link #end} run on the stretch's own thread (JFR writes an event with
 * the thread that commits it); the open event is kept on the segment, which only that thread touches
 * for this purpose. Not API.
 */
final class StretchEvents {

    /** The event's name in recordings and {@code .jfc} files. */
    static final String NAME = "dev.allocline.Request";

    private static final int REQUEST_ID = 0;
    private static final int ROUTE = 1;
    private static final int METHOD = 2;
    private static final int TRACE_ID = 3;

    /**
     * Made at the first stretch that finds JFR initialized: registering an event initializes JFR's metadata
     * in the JVM, a cost a service that never records must not pay. No recording can run before JFR is
     * initialized, and a recording started later (or by {@code -XX:StartFlightRecording}) sees the event
     * from its first stretch on.
     */
    private static final class Holder {
        static final EventFactory FACTORY = create();
        static final EventType TYPE = FACTORY == null ? null : FACTORY.getEventType();
    }

    private StretchEvents() {
    }

    private static EventFactory create() {
        try {
            List<AnnotationElement> contextual = new ArrayList<>(1);
            try {
                @SuppressWarnings("unchecked")
                Class<? extends java.lang.annotation.Annotation> c = (Class<? extends java.lang.annotation.Annotation>)
                        Class.forName("jdk.jfr.Contextual");
                contextual.add(new AnnotationElement(c));
            } catch (ClassNotFoundException beforeJdk25) {
                // the same event, without the context readers rebuild
            }
            List<ValueDescriptor> fields = List.of(
                    field("request_id", "Request ID", "The id on the request's canonical line", contextual),
                    field("route", "Route", "The matched route template, base path included; empty when nothing matched",
                            contextual),
                    field("method", "Method", "The HTTP method", contextual),
                    field("trace_id", "Trace ID", "The W3C trace id of the request's span, or empty", contextual));
            List<AnnotationElement> annotations = List.of(
                    new AnnotationElement(Name.class, NAME),
                    new AnnotationElement(Label.class, "allocline Request"),
                    new AnnotationElement(Category.class, new String[] {"allocline"}),
                    new AnnotationElement(Description.class,
                            "A stretch of a thread's work for one HTTP request, as allocline counts it"),
                    new AnnotationElement(Enabled.class, false),
                    new AnnotationElement(StackTrace.class, false),
                    new AnnotationElement(Threshold.class, "0 ns"));
            return EventFactory.create(annotations, fields);
        } catch (RuntimeException | LinkageError e) {
            return null; // no JFR in this runtime (or it refused the event): stretches are simply not recorded
        }
    }

    private static ValueDescriptor field(String name, String label, String description, List<AnnotationElement> extra) {
        List<AnnotationElement> a = new ArrayList<>(extra);
        a.add(new AnnotationElement(Label.class, label));
        a.add(new AnnotationElement(Description.class, description));
        return new ValueDescriptor(String.class, name, a);
    }

    /** Whether some recording records the event now. */
    static boolean enabled() {
        if (!FlightRecorder.isInitialized()) {
            return false; // one volatile read: no recording exists, and JFR is not woken up for nothing
        }
        EventType t = Holder.TYPE;
        return t != null && t.isEnabled();
    }

    /** Starts the event of a stretch of {@code s} beginning now, when a recording wants it. */
    static void begin(Segment s) {
        if (s.stretch == null && enabled()) {
            try {
                Event e = Holder.FACTORY.newEvent();
                e.begin();
                s.stretch = e;
            } catch (RuntimeException | LinkageError ignored) {
                // a recording's failure must not become the request's
            }
        }
    }

    /** Commits {@code s}'s stretch event, ending now, if one was begun; on {@code s}'s own thread. */
    static void end(Segment s) {
        Object open = s.stretch;
        if (open == null) {
            return;
        }
        s.stretch = null;
        try {
            Event e = (Event) open;
            Request r = s.owner;
            e.set(REQUEST_ID, r.requestId());
            e.set(ROUTE, r.routeSoFar());
            e.set(METHOD, r.methodSoFar());
            e.set(TRACE_ID, r.traceIdSoFar());
            e.commit();
        } catch (RuntimeException | LinkageError ignored) {
            // as above
        }
    }
}
