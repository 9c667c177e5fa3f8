package dev.allocline.internal.line;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Renders fields: the logfmt text ({@code prefix key=value ...}, every text value escaped) and the same
 * fields as a map, both written through one {@link FieldRenderer}, so they cannot drift apart. It knows
 * no API type: the canonical line's field order is the API package's. Stateless; any thread. Not API:
 * may change without notice.
 */
public final class LineFormat {

    /** The first word of every canonical line's message: the formatter's, so it lives here. */
    public static final String MESSAGE_PREFIX = "canonical_api_line";

    /**
     * Every key the library writes on a canonical line. An application's {@code AllocLine.put} with one
     * of these is refused, so that a field can never shadow or fake the library's figures.
     */
    public static final Set<String> RESERVED_KEYS = Set.of("request_id", "http_method", "http_path", "http_route",
            "status", "response_written", "duration", "alloc_bytes", "alloc_unavailable", "alloc_threads",
            "total_alloc_delta", "alloc_reads", "profile_key", "trace_id", "span_id", "fields_dropped", "alloc_partial",
            "answered_by", "canonical_api_line");

    private LineFormat() {
    }

    /**
     * Receives the line's fields in order. Structured receivers (a map, a {@code MapMessage}, SLF4J's
     * key-value pairs) implement {@link #value} only; the logfmt writer renders each kind itself.
     */
    @FunctionalInterface
    public interface FieldWriter {
        /** A field whose value is a {@code String}, {@code Long}, {@code Boolean} or an application value. */
        void value(String key, Object value);

        /** A text field (escaped by logfmt writers). */
        default void text(String key, String value) {
            value(key, value);
        }

        /** A numeric field. */
        default void number(String key, long value) {
            value(key, value);
        }

        /** A boolean field. */
        default void bool(String key, boolean value) {
            value(key, value);
        }

        /** A duration, as Go prints one ({@link #goDuration}); text writers append it without a String. */
        default void duration(String key, long nanos) {
            value(key, goDuration(nanos));
        }
    }

    /** {@code subject}'s fields as logfmt name to value, in order. */
    public static <T> Map<String, Object> fields(T subject, FieldRenderer<? super T> renderer) {
        Map<String, Object> m = new LinkedHashMap<>(32);
        renderer.writeTo(subject, m::put);
        return m;
    }

    /** {@code prefix key=value ...} for {@code subject}'s fields. */
    public static <T> String logfmt(String prefix, T subject, FieldRenderer<? super T> renderer) {
        StringBuilder sb = new StringBuilder(384);
        appendLogfmt(prefix, subject, renderer, sb);
        return sb.toString();
    }

    /** Appends {@code prefix key=value ...} for {@code subject}'s fields to {@code sb}. */
    public static <T> void appendLogfmt(String prefix, T subject, FieldRenderer<? super T> renderer, StringBuilder sb) {
        sb.append(prefix);
        renderer.writeTo(subject, new LogfmtWriter(sb));
    }

    /** {@code prefix key=value ...} for any fields; strings are escaped, numbers and booleans written as is. */
    public static String logfmt(String prefix, Map<String, ?> fields) {
        StringBuilder sb = new StringBuilder(256);
        sb.append(prefix);
        LogfmtWriter w = new LogfmtWriter(sb);
        for (Map.Entry<String, ?> e : fields.entrySet()) {
            w.value(e.getKey(), e.getValue());
        }
        return sb.toString();
    }

    /** Appends {@code key=value} pairs to a builder. */
    static final class LogfmtWriter implements FieldWriter {
        private final StringBuilder sb;

        LogfmtWriter(StringBuilder sb) {
            this.sb = sb;
        }

        @Override
        public void text(String key, String value) {
            sb.append(' ').append(key).append('=');
            Logfmt.appendValue(sb, value);
        }

        @Override
        public void number(String key, long value) {
            sb.append(' ').append(key).append('=').append(value);
        }

        @Override
        public void bool(String key, boolean value) {
            sb.append(' ').append(key).append('=').append(value);
        }

        @Override
        public void duration(String key, long nanos) {
            sb.append(' ').append(key).append('=');
            appendGoDuration(sb, nanos);
        }

        @Override
        public void value(String key, Object value) {
            if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
                number(key, ((Number) value).longValue());
            } else if (value instanceof Boolean) {
                bool(key, (Boolean) value);
            } else if (value instanceof Double || value instanceof Float || value instanceof BigDecimal
                    || value instanceof BigInteger) {
                // Rendered by the escaper: NaN and infinities stay bare words, never a forged pair.
                text(key, value.toString());
            } else {
                text(key, String.valueOf(value));
            }
        }
    }

    /** A duration the way Go prints one, with {@code us} for microseconds: {@code 840ns}, {@code 12.345ms}. */
    public static String goDuration(long ns) {
        StringBuilder sb = new StringBuilder(12);
        appendGoDuration(sb, ns);
        return sb.toString();
    }

    /** Appends {@link #goDuration(long)} without an intermediate string. */
    public static void appendGoDuration(StringBuilder sb, long ns) {
        if (ns < 1_000L) {
            sb.append(ns).append("ns");
        } else if (ns < 1_000_000L) {
            decimal(sb, ns, 1_000L).append("us");
        } else if (ns < 1_000_000_000L) {
            decimal(sb, ns, 1_000_000L).append("ms");
        } else {
            decimal(sb, ns, 1_000_000_000L).append('s');
        }
    }

    private static StringBuilder decimal(StringBuilder sb, long ns, long unit) {
        long whole = ns / unit;
        long frac = (ns % unit) * 1000 / unit;
        sb.append(whole).append('.');
        if (frac < 100) {
            sb.append('0');
        }
        if (frac < 10) {
            sb.append('0');
        }
        return sb.append(frac);
    }
}
