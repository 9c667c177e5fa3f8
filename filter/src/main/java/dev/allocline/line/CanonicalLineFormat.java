package dev.allocline.line;

import dev.allocline.internal.line.Logfmt;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The canonical line's fields, in order, with their logfmt names. Both renderings — the logfmt text
 * and the structured map — come from {@link #fields(CanonicalLine)}, so they cannot drift apart.
 *
 * <p>Units: {@code duration} and {@code alloc_read_duration} are Go-style durations ({@code 12.345ms},
 * {@code 840ns}), which logfmt tools such as Loki compare as durations; {@code alloc_bytes} and
 * {@code total_alloc_delta} are bytes.
 */
public final class CanonicalLineFormat {

    /** The first word of every canonical line's message. */
    public static final String MESSAGE_PREFIX = "canonical_api_line";

    private CanonicalLineFormat() {
    }

    /**
     * Receives the line's fields in order. The logfmt text, the structured map and the Log4j2 message
     * are all written through {@link #writeFields}, so they cannot drift apart, and none of them
     * needs an intermediate map on the request path.
     */
    public interface FieldWriter {
        /** A text field (escaped by logfmt writers). */
        void text(String key, String value);

        /** A numeric field. */
        void number(String key, long value);

        /** A boolean field. */
        void bool(String key, boolean value);
    }

    /** Writes the line's fields, in their documented order, to {@code w}. */
    public static void writeFields(CanonicalLine line, FieldWriter w) {
        w.text("request_id", line.requestId());
        w.text("http_method", line.httpMethod());
        w.text("http_path", line.httpPath());
        w.text("http_route", line.httpRoute());
        w.number("status", line.status());
        w.bool("response_written", line.responseWritten());
        w.text("duration", goDuration(line.duration()));
        w.number("alloc_bytes", line.allocatedBytes());
        if (line.allocUnavailableReason().isPresent()) {
            w.text("alloc_unavailable", line.allocUnavailableReason().get());
        }
        w.number("alloc_threads", line.allocThreads());
        w.number("total_alloc_delta", line.totalAllocDelta());
        w.text("alloc_read_duration", goDuration(line.readOverhead()));
        if (line.profileKey().isPresent()) {
            w.text("profile_key", line.profileKey().get());
        }
    }

    /** The line's fields as logfmt name to value (a {@code String}, {@code Long} or {@code Boolean}). */
    public static Map<String, Object> fields(CanonicalLine line) {
        Map<String, Object> m = new LinkedHashMap<>(24);
        writeFields(line, new FieldWriter() {
            @Override
            public void text(String key, String value) {
                m.put(key, value);
            }

            @Override
            public void number(String key, long value) {
                m.put(key, value);
            }

            @Override
            public void bool(String key, boolean value) {
                m.put(key, value);
            }
        });
        return m;
    }

    /** {@code canonical_api_line key=value ...}, with every text value escaped by {@link Logfmt}. */
    public static String logfmt(CanonicalLine line) {
        StringBuilder sb = new StringBuilder(320);
        sb.append(MESSAGE_PREFIX);
        writeFields(line, new LogfmtWriter(sb));
        return sb.toString();
    }

    /** {@code prefix key=value ...} for any fields; strings are escaped, numbers and booleans written as is. */
    public static String logfmt(String prefix, Map<String, ?> fields) {
        StringBuilder sb = new StringBuilder(256);
        sb.append(prefix);
        LogfmtWriter w = new LogfmtWriter(sb);
        for (Map.Entry<String, ?> e : fields.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
                w.number(e.getKey(), ((Number) v).longValue());
            } else if (v instanceof Boolean) {
                w.bool(e.getKey(), (Boolean) v);
            } else {
                w.text(e.getKey(), String.valueOf(v));
            }
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
    }

    /** A duration the way Go prints one, with {@code us} for microseconds: {@code 840ns}, {@code 12.345ms}. */
    public static String goDuration(Duration d) {
        long ns = d.toNanos();
        if (ns < 1_000L) {
            return ns + "ns";
        }
        if (ns < 1_000_000L) {
            return decimal(ns, 1_000L) + "us";
        }
        if (ns < 1_000_000_000L) {
            return decimal(ns, 1_000_000L) + "ms";
        }
        return decimal(ns, 1_000_000_000L) + "s";
    }

    private static String decimal(long ns, long unit) {
        long whole = ns / unit;
        long frac = (ns % unit) * 1000 / unit;
        StringBuilder sb = new StringBuilder(12).append(whole).append('.');
        if (frac < 100) {
            sb.append('0');
        }
        if (frac < 10) {
            sb.append('0');
        }
        return sb.append(frac).toString();
    }
}
