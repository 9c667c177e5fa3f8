package dev.allocline.line;

import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Writes each line through SLF4J 2's key-value API: the message is the logfmt text
 * ({@code canonical_api_line key=value ...}) and every field is also a key-value pair, so Logback's
 * JSON encoders (and Spring Boot's {@code ecs} or {@code logstash} structured logging) render them as
 * real JSON fields, numbers as numbers. Chosen automatically by the Feature when Log4j2 has no
 * provider or is bridged to SLF4J. Called concurrently from request threads; never blocks beyond
 * what the configured appenders do. Needs {@code org.slf4j:slf4j-api} 2.x.
 */
public final class Slf4jSink implements CanonicalLineSink {

    private final Logger logger;

    /** A sink writing at INFO to {@value Log4j2Sink#DEFAULT_LOGGER}. */
    public Slf4jSink() {
        this(Log4j2Sink.DEFAULT_LOGGER);
    }

    /** A sink writing at INFO to the logger named {@code loggerName}. */
    public Slf4jSink(String loggerName) {
        this.logger = LoggerFactory.getLogger(Objects.requireNonNull(loggerName, "loggerName"));
    }

    @Override
    public void accept(CanonicalLine line) {
        if (!logger.isInfoEnabled()) {
            return;
        }
        // addKeyValue may return another builder, so the current one is carried along.
        LoggingEventBuilder[] builder = {logger.atInfo()};
        LineFields.INSTANCE.writeTo(line, (key, value) -> builder[0] = builder[0].addKeyValue(key, value));
        builder[0].setMessage(CanonicalLineFormat.logfmt(line)).log();
    }
}
