package dev.allocline.spring.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.allocline.spring.boot.app.DemoApplication;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * The same service on Boot's Log4j2 starter (Logback excluded; the {@code log4j2} surefire execution) with
 * Boot's {@code ecs} structured logging: over real HTTP each request gets one line, and its fields are JSON
 * fields, numbers as numbers. Boot's Log4j2 formatter writes a Log4j2 {@code MapMessage}, which is what
 * allocline logs there, as a JSON object in {@code message}, so the fields are {@code message.alloc_bytes}...
 */
@Tag("log4j2")
@SpringBootTest(classes = DemoApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"logging.structured.format.console=ecs", "allocline.request-id-header=X-Request-Id"})
@ExtendWith(OutputCaptureExtension.class)
class Log4j2StructuredLoggingTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @Value("${local.server.port}")
    int port;

    HttpResponse<String> get(String path, String requestId) throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("X-Request-Id", requestId)
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static List<JsonNode> canonicalLines(CapturedOutput output, String requestId) {
        return output.getOut().lines().filter(l -> l.startsWith("{")).map(l -> {
            try {
                return JSON.readTree(l);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + l, e);
            }
        }).filter(n -> "dev.allocline.canonical".equals(n.path("log").path("logger").asText())
                && requestId.equals(n.path("message").path("request_id").asText())).collect(Collectors.toList());
    }

    static JsonNode awaitLine(CapturedOutput output, String requestId) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            List<JsonNode> lines = canonicalLines(output, requestId);
            if (!lines.isEmpty()) {
                assertEquals(1, lines.size(), () -> "one line per request: " + lines);
                return lines.get(0);
            }
            Thread.sleep(20); // polling the captured output for the condition
        }
        throw new AssertionError("no canonical line for " + requestId + " in:\n" + output.getOut());
    }

    @Test
    void onTheLog4j2StarterEachLinesFieldsAreJsonFieldsOfTheEcsEvent(CapturedOutput output) throws Exception {
        HttpResponse<String> response = get("/clusters/c-7", "boot-log4j2-1");
        assertEquals(200, response.statusCode());
        assertEquals("boot-log4j2-1", response.headers().firstValue("X-Request-Id").orElse(null));
        JsonNode event = awaitLine(output, "boot-log4j2-1");
        JsonNode fields = event.path("message");
        assertEquals("/clusters/{id}", fields.path("http_route").asText(), event::toString);
        assertEquals("/clusters/c-7", fields.path("http_path").asText(), event::toString);
        assertTrue(fields.path("status").isIntegralNumber(), () -> "status is a JSON number: " + event);
        assertEquals(200, fields.path("status").asInt(), event::toString);
        assertTrue(fields.path("alloc_bytes").isIntegralNumber(), () -> "alloc_bytes is a JSON number: " + event);
        assertTrue(fields.path("alloc_bytes").asLong() > 16_000, event::toString);
        assertEquals("INFO", event.path("log").path("level").asText(), event::toString);
    }

    @Test
    void onTheLog4j2StarterEveryRequestGetsItsLine(CapturedOutput output) throws Exception {
        for (int i = 0; i < 20; i++) {
            assertEquals(200, get("/clusters/c-" + i, "boot-log4j2-many-" + i).statusCode());
        }
        for (int i = 0; i < 20; i++) {
            awaitLine(output, "boot-log4j2-many-" + i);
        }
    }
}
