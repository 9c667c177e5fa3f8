package dev.allocline.internal.log;

import java.util.Map;

/**
 * Where the library's own lines go (its failures, {@code profile_generated_line}): the logging API
 * that actually reaches an appender on this class path. Called from any thread; must not block.
 * Not API: may change without notice.
 */
public interface LogBackend {

    /** A warning about the library itself. */
    void warn(String logger, String message, Throwable error);

    /** An informational line: {@code prefix key=value ...} as text, with the fields as structured data. */
    void line(String logger, String prefix, Map<String, ?> fields);

    /** The backend's name, for messages ({@code log4j2}, {@code slf4j}). */
    String name();
}
