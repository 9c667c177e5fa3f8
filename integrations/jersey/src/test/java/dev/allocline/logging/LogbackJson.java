package dev.allocline.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/** A real Logback appender with Logback's own JSON encoder, on one logger, whose output the test parses. */
final class LogbackJson implements AutoCloseable {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    private final ch.qos.logback.core.read.ListAppender<ILoggingEvent> raw = new ch.qos.logback.core.read.ListAppender<>();
    private final Logger logger;

    LogbackJson(String loggerName) {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(ctx);
        encoder.start();
        appender.setContext(ctx);
        appender.setEncoder(encoder);
        appender.setOutputStream(out);
        appender.start();
        raw.setContext(ctx);
        raw.start();
        logger = ctx.getLogger(loggerName);
        logger.addAppender(appender);
        logger.addAppender(raw);
    }

    /** Every event written so far, one parsed JSON object each. */
    synchronized List<JsonNode> events() throws Exception {
        List<JsonNode> events = new ArrayList<>();
        ObjectMapper om = new ObjectMapper();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                events.add(om.readTree(line));
            }
        }
        return events;
    }

    /**
     * The value object of {@code key} in the first event, as the application handed it to SLF4J (Logback's
     * own JsonEncoder writes every value as a string; logstash-logback-encoder and Spring Boot's
     * structured logging keep numbers as numbers, from this object).
     */
    Object rawValue(String key) {
        for (org.slf4j.event.KeyValuePair p : raw.list.get(0).getKeyValuePairs()) {
            if (p.key.equals(key)) {
                return p.value;
            }
        }
        return null;
    }

    /** The raw text written so far. */
    String text() {
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The value of {@code key} among an event's key-value pairs, or null. */
    static JsonNode kv(JsonNode event, String key) {
        for (JsonNode pair : event.path("kvpList")) {
            if (pair.has(key)) {
                return pair.get(key);
            }
        }
        return null;
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        logger.detachAppender(raw);
        appender.stop();
        raw.stop();
    }
}
