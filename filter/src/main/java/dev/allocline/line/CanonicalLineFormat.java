package dev.allocline.line;

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

    /** The line's fields as logfmt name to value (a {@code String}, {@code Long}, {@code Integer} or {@code Boolean}). */
    public static Map<String, Object> fields(CanonicalLine line) {
        Map<String, Object> m = new LinkedHashMap<>(24);
        m.put("request_id", line.requestId());
        m.put("http_method", line.httpMethod());
        m.put("http_path", line.httpPath());
        m.put("http_route", line.httpRoute());
        m.put("status", line.status());
        m.put("response_written", line.responseWritten());
        m.put("duration", goDuration(line.duration()));
        m.put("alloc_bytes", line.allocatedBytes());
        line.allocUnavailableReason().ifPresent(r -> m.put("alloc_unavailable", r));
        m.put("alloc_threads", line.allocThreads());
        m.put("total_alloc_delta", line.totalAllocDelta());
        m.put("alloc_read_duration", goDuration(line.readOverhead()));
        line.profileKey().ifPresent(k -> m.put("profile_key", k));
        return m;
    }

    /** {@code canonical_api_line key=value ...}, with every value escaped by {@link Logfmt}. */
    public static String logfmt(CanonicalLine line) {
        return logfmt(MESSAGE_PREFIX, fields(line));
    }

    /** {@code prefix key=value ...} for any fields; strings are escaped, numbers and booleans written as is. */
    public static String logfmt(String prefix, Map<String, ?> fields) {
        StringBuilder sb = new StringBuilder(256);
        sb.append(prefix);
        for (Map.Entry<String, ?> e : fields.entrySet()) {
            sb.append(' ').append(e.getKey()).append('=');
            Object v = e.getValue();
            if (v instanceof Number || v instanceof Boolean) {
                sb.append(v);
            } else {
                Logfmt.appendValue(sb, String.valueOf(v));
            }
        }
        return sb.toString();
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
        String f = Long.toString(frac);
        return whole + "." + "000".substring(f.length()) + f;
    }
}
