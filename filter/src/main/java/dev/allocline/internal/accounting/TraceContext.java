package dev.allocline.internal.accounting;

import dev.allocline.line.CanonicalLine;

/**
 * The current OpenTelemetry span, when the OpenTelemetry API is on the class path. Optional: without it
 * this class answers null and false and never touches an OpenTelemetry type (they are named only in the
 * nested class, which the JVM loads on first use). Any thread. Not API.
 */
public final class TraceContext {

    private static final boolean PRESENT = present();

    private TraceContext() {
    }

    /** Whether the OpenTelemetry API is on the class path at all. */
    public static boolean available() {
        return PRESENT;
    }

    /**
     * The valid span current on the calling thread (an {@code io.opentelemetry.api.trace.Span}), or null.
     * Allocates nothing when there is none.
     */
    static Object currentSpan() {
        if (!PRESENT) {
            return null;
        }
        try {
            return Otel.currentSpan();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** {trace id, span id} of {@code span}, a value {@link #currentSpan()} returned. */
    static String[] ids(Object span) {
        return Otel.ids(span);
    }

    /**
     * Puts the line's figure on {@code span} (from {@link #currentSpan()}): {@code allocline.alloc_bytes},
     * {@code allocline.alloc_unavailable} when the figure is -1, {@code allocline.profile_key} when a profile
     * was taken. A span that already ended ignores them (OpenTelemetry's rule, not ours).
     */
    static void tag(Object span, CanonicalLine line) {
        Otel.tag(span, line);
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
        // OpenTelemetry has no semantic convention for allocated bytes: the names are in the library's namespace.
        static final io.opentelemetry.api.common.AttributeKey<Long> ALLOC_BYTES =
                io.opentelemetry.api.common.AttributeKey.longKey("allocline.alloc_bytes");
        static final io.opentelemetry.api.common.AttributeKey<String> ALLOC_UNAVAILABLE =
                io.opentelemetry.api.common.AttributeKey.stringKey("allocline.alloc_unavailable");
        static final io.opentelemetry.api.common.AttributeKey<String> PROFILE_KEY =
                io.opentelemetry.api.common.AttributeKey.stringKey("allocline.profile_key");

        static Object currentSpan() {
            io.opentelemetry.api.trace.Span span = io.opentelemetry.api.trace.Span.current();
            return span.getSpanContext().isValid() ? span : null;
        }

        static String[] ids(Object span) {
            io.opentelemetry.api.trace.SpanContext c = ((io.opentelemetry.api.trace.Span) span).getSpanContext();
            return new String[] {c.getTraceId(), c.getSpanId()};
        }

        static void tag(Object span, CanonicalLine line) {
            io.opentelemetry.api.trace.Span s = (io.opentelemetry.api.trace.Span) span;
            if (!s.isRecording()) {
                return; // sampled out or already ended: nothing would keep the attributes
            }
            s.setAttribute(ALLOC_BYTES, line.allocatedBytes());
            line.allocUnavailableReason().ifPresent(r -> s.setAttribute(ALLOC_UNAVAILABLE, r));
            line.profileKey().ifPresent(k -> s.setAttribute(PROFILE_KEY, k));
        }
    }
}
