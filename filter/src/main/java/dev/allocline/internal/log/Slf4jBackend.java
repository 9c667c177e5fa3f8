package dev.allocline.internal.log;

import dev.allocline.internal.line.LineFormat;
import java.util.Map;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/** SLF4J 2 (Logback, or Log4j2's API bridged to SLF4J as Spring Boot ships it), fields as key-value pairs. */
final class Slf4jBackend implements LogBackend {

    @Override
    public void warn(String logger, String message, Throwable error) {
        if (error == null) {
            LoggerFactory.getLogger(logger).warn(message);
        } else {
            LoggerFactory.getLogger(logger).warn(message, error);
        }
    }

    @Override
    public void line(String logger, String prefix, Map<String, ?> fields) {
        org.slf4j.Logger l = LoggerFactory.getLogger(logger);
        if (!l.isInfoEnabled()) {
            return;
        }
        LoggingEventBuilder b = l.atInfo();
        for (Map.Entry<String, ?> e : fields.entrySet()) {
            b = b.addKeyValue(e.getKey(), e.getValue());
        }
        b.setMessage(LineFormat.logfmt(prefix, fields)).log();
    }

    @Override
    public String name() {
        return "slf4j";
    }
}
