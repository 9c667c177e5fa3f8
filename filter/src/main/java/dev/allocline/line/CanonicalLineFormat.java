package dev.allocline.line;

import dev.allocline.internal.line.LineFormat;
import java.time.Duration;
import java.util.Map;

/**
 * How a canonical line is rendered, for sinks of your own: the logfmt text and the same fields as a
 * map. Both come from one writer, so they cannot drift apart. Stateless; any thread.
 *
 * <p>Units: {@code duration} is a Go-style duration ({@code 12.345ms}, {@code 840ns}), which logfmt
 * tools such as Loki compare as durations; {@code alloc_bytes} and {@code total_alloc_delta} are bytes.
 */
public final class CanonicalLineFormat {

    /** The first word of every canonical line's message. */
    public static final String MESSAGE_PREFIX = LineFormat.MESSAGE_PREFIX;

    private CanonicalLineFormat() {
    }

    /** {@code canonical_api_line key=value ...}, every text value escaped so that no client can forge a key. */
    public static String logfmt(CanonicalLine line) {
        return LineFormat.logfmt(MESSAGE_PREFIX, line, LineFields.INSTANCE);
    }

    /**
     * The line's fields in order, as logfmt key to value: a {@code String}, a {@code Long}, a
     * {@code Boolean}, or an application field's value as it was put ({@code Number}s stay numbers).
     */
    public static Map<String, Object> fields(CanonicalLine line) {
        return LineFormat.fields(line, LineFields.INSTANCE);
    }

    /** A duration the way Go prints one, with {@code us} for microseconds: {@code 840ns}, {@code 12.345ms}. */
    public static String goDuration(Duration d) {
        return LineFormat.goDuration(d.toNanos());
    }
}
