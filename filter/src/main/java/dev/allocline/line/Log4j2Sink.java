package dev.allocline.line;

import java.util.Objects;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Writes each line as one Log4j2 event: a {@code MapMessage} whose formatted text is
 * {@code canonical_api_line key=value ...} (logfmt) and whose map holds the same fields, so JSON
 * layouts ({@code JsonTemplateLayout}'s {@code map} or {@code message} resolvers) need no parsing.
 * Called concurrently from request threads; never blocks beyond what the configured appenders do.
 */
public final class Log4j2Sink implements CanonicalLineSink {

    /** Logger name used by default. */
    public static final String DEFAULT_LOGGER = "dev.allocline.canonical";

    private final Logger logger;
    private final Level level;

    /** A sink writing at INFO to {@value #DEFAULT_LOGGER}. */
    public Log4j2Sink() {
        this(DEFAULT_LOGGER, Level.INFO);
    }

    /** A sink writing at {@code level} to the logger named {@code loggerName}. */
    public Log4j2Sink(String loggerName, Level level) {
        this.logger = LogManager.getLogger(Objects.requireNonNull(loggerName, "loggerName"));
        this.level = Objects.requireNonNull(level, "level");
    }

    @Override
    public void accept(CanonicalLine line) {
        if (logger.isEnabled(level)) {
            logger.log(level, LineFields.message(line));
        }
    }
}
