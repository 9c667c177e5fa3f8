package dev.allocline.internal.accounting;

/**
 * The current OpenTelemetry span's ids, when the OpenTelemetry API is on the class path. Optional:
 * without it this class answers null and never touches an OpenTelemetry type.
 */
final class TraceContext {

    private static final boolean PRESENT = present();

    private TraceContext() {
    }

    /** Whether the OpenTelemetry API is on the class path at all. */
    static boolean available() {
        return PRESENT;
    }

    /** {trace id, span id} of the valid span current on the calling thread, or null. */
    static String[] current() {
        if (!PRESENT) {
            return null;
        }
        try {
            return Otel.current();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    private static boolean present() {
        try {
            Class.forName("io.opentelemetry.api.trace.Span", false, TraceContext.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Loaded only when OpenTelemetry is present. */
    private static final class Otel {
        static String[] current() {
            io.opentelemetry.api.trace.SpanContext c = io.opentelemetry.api.trace.Span.current().getSpanContext();
            return c.isValid() ? new String[] {c.getTraceId(), c.getSpanId()} : null;
        }
    }
}
