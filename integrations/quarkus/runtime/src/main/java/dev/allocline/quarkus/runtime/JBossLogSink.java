package dev.allocline.quarkus.runtime;

import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineFormat;
import dev.allocline.line.CanonicalLineSink;
import java.util.logging.Level;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.Logger;

/**
 * Writes each line through Quarkus' logging (JBoss LogManager) at INFO: the message is the logfmt text,
 * once ({@code canonical_api_line key=value ...}), and the record carries the line itself, from which
 * {@link JsonLineFields} adds every field as a JSON field when the application logs JSON
 * ({@code quarkus-logging-json}). Not through SLF4J: Quarkus' SLF4J binding has no key-value support,
 * and SLF4J's fallback would put every field in the message twice. Called concurrently from the threads
 * that end responses (event loops); never blocks beyond what the handlers do.
 */
final class JBossLogSink implements CanonicalLineSink {

    private final Logger logger;
    private volatile boolean decorated;

    JBossLogSink(String loggerName) {
        this.logger = Logger.getLogger(loggerName);
    }

    @Override
    public void accept(CanonicalLine line) {
        if (!logger.isLoggable(Level.INFO)) {
            return;
        }
        if (!decorated) {
            // Quarkus configures its handlers after extensions' recorders run; by the first line they are there.
            decorated = true;
            JsonLineFields.decorate(logger);
        }
        ExtLogRecord record = new ExtLogRecord(Level.INFO, CanonicalLineFormat.logfmt(line),
                ExtLogRecord.FormatStyle.NO_FORMAT, JBossLogSink.class.getName());
        record.setLoggerName(logger.getName());
        record.setParameters(new Object[] {line});
        logger.logRaw(record);
    }
}
