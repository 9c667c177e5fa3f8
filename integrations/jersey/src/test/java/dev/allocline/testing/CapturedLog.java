package dev.allocline.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/** Captures the real Log4j2 events of one logger (and its children) for the duration of a test. */
public final class CapturedLog extends AbstractAppender implements AutoCloseable {

    private final List<LogEvent> events = new CopyOnWriteArrayList<>();
    private final String loggerName;

    private CapturedLog(String loggerName) {
        super("captured-" + loggerName + "-" + System.nanoTime(), null, null, true, Property.EMPTY_ARRAY);
        this.loggerName = loggerName;
    }

    /** Starts capturing events of {@code loggerName} at INFO and above. */
    public static CapturedLog of(String loggerName) {
        CapturedLog log = new CapturedLog(loggerName);
        log.start();
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        Configuration config = ctx.getConfiguration();
        LoggerConfig lc = config.getLoggerConfig(loggerName);
        if (!lc.getName().equals(loggerName)) {
            lc = new LoggerConfig(loggerName, org.apache.logging.log4j.Level.INFO, true);
            config.addLogger(loggerName, lc);
        }
        lc.addAppender(log, org.apache.logging.log4j.Level.INFO, null);
        ctx.updateLoggers();
        return log;
    }

    @Override
    public void append(LogEvent event) {
        events.add(event.toImmutable());
    }

    public List<LogEvent> events() {
        return events;
    }

    @Override
    public void close() {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        ctx.getConfiguration().getLoggerConfig(loggerName).removeAppender(getName());
        ctx.updateLoggers();
        stop();
    }
}
