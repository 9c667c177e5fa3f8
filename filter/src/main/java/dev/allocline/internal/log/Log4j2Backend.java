package dev.allocline.internal.log;

import dev.allocline.internal.line.LineMessage;
import java.util.Map;
import org.apache.logging.log4j.LogManager;

/** Log4j2, when a Log4j2 provider (log4j-core or another implementation) is on the class path. */
final class Log4j2Backend implements LogBackend {

    @Override
    public void warn(String logger, String message, Throwable error) {
        if (error == null) {
            LogManager.getLogger(logger).warn(message);
        } else {
            LogManager.getLogger(logger).warn(message, error);
        }
    }

    @Override
    public void line(String logger, String prefix, Map<String, ?> fields) {
        LogManager.getLogger(logger).info(new LineMessage(prefix, fields));
    }

    @Override
    public String name() {
        return "log4j2";
    }
}
