package dev.allocline.line;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.allocline.testing.CapturedLog;
import java.util.List;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.layout.template.json.JsonTemplateLayout;
import org.apache.logging.log4j.message.MapMessage;
import org.junit.jupiter.api.Test;

/** One Log4j2 event per line, readable as logfmt text and as structured fields. */
class Log4j2SinkTest {

    private static LogEvent emitOne(CanonicalLine line) {
        try (CapturedLog log = CapturedLog.of(Log4j2Sink.DEFAULT_LOGGER)) {
            new Log4j2Sink().accept(line);
            List<LogEvent> events = log.events();
            assertEquals(1, events.size());
            return events.get(0);
        }
    }

    @Test
    void eventMessageIsTheLogfmtLine() {
        LogEvent e = emitOne(LogfmtTest.lineWith("GET", "/r/1"));
        String text = e.getMessage().getFormattedMessage();
        assertTrue(text.startsWith("canonical_api_line request_id="), text);
        assertEquals(CanonicalLineFormat.logfmt(LogfmtTest.lineWith("GET", "/r/1")), text);
        assertTrue(e.getMessage() instanceof MapMessage);
        assertEquals("200", ((MapMessage<?, ?>) e.getMessage()).get("status"));
    }

    @Test
    void layoutsThatFormatIntoTheirBufferGetTheSameLogfmtText() {
        CanonicalLine line = LogfmtTest.withFields(LogfmtTest.lineWith("GET", "/r/1 \"x\""), java.util.Map.of("team", "a b"));
        dev.allocline.internal.line.LineMessage m = LineFields.message(line);
        StringBuilder buffer = new StringBuilder("prefix:");
        m.formatTo(buffer);
        assertEquals("prefix:" + CanonicalLineFormat.logfmt(line), buffer.toString());
        // Immutable, so Log4j2 may leave the formatting to the appender's (or async logger's) thread.
        assertTrue(m.getClass().isAnnotationPresent(org.apache.logging.log4j.message.AsynchronouslyFormattable.class));
    }

    @Test
    void jsonTemplateLayoutSeesTheFieldsWithoutParsing() throws Exception {
        String evil = "/x\r\n{\"status\":1} status=500";
        LogEvent e = emitOne(LogfmtTest.lineWith("GET", evil));
        JsonTemplateLayout layout = JsonTemplateLayout.newBuilder()
                .setConfiguration(((LoggerContext) org.apache.logging.log4j.LogManager.getContext(false)).getConfiguration())
                .setEventTemplate("{\"message\":{\"$resolver\":\"message\",\"stringified\":true},"
                        + "\"fields\":{\"$resolver\":\"message\"},"
                        + "\"alloc_bytes\":{\"$resolver\":\"map\",\"key\":\"alloc_bytes\"},"
                        + "\"http_path\":{\"$resolver\":\"map\",\"key\":\"http_path\"}}")
                .build();
        String json = layout.toSerializable(e);
        assertEquals(1, json.strip().split("\n").length, "one JSON line: " + json);
        JsonNode node = new ObjectMapper().readTree(json);
        assertEquals(4096, node.get("alloc_bytes").asLong());
        assertEquals(evil, node.get("http_path").asText());
        System.out.println("json layout: " + json.strip());
        assertTrue(node.get("message").asText().startsWith("canonical_api_line "), json);
        JsonNode fields = node.get("fields");
        assertEquals(200, fields.get("status").asInt());
        assertEquals("12.345ms", fields.get("duration").asText());
        assertEquals("0123456789abcdef0123456789abcdef", fields.get("request_id").asText());
        System.out.println("json layout: " + json.strip());
    }
}
