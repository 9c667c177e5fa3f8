package dev.allocline.spring.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.allocline.micrometer.MicrometerSink;
import dev.allocline.spring.boot.app.DemoApplication;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * A Boot 4 Jersey service with the starter on its class path and nothing else: over real HTTP, each request
 * gets one canonical line, and with Boot's structured logging ({@code ecs}, Logback) its fields are JSON
 * fields of the log event, not text to parse; the MeterRegistry bean gets the per-route figure.
 */
@SpringBootTest(classes = DemoApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"logging.structured.format.console=ecs", "allocline.request-id-header=X-Request-Id",
                "allocline.skip-routes=/clusters/ping"})
@ExtendWith(OutputCaptureExtension.class)
class StructuredLoggingTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @Value("${local.server.port}")
    int port;

    @Autowired
    MeterRegistry registry;

    HttpResponse<String> get(String path, String requestId) throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("X-Request-Id", requestId).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static List<JsonNode> canonicalLines(CapturedOutput output, String requestId) {
        return output.getOut().lines().filter(l -> l.startsWith("{")).map(l -> {
            try {
                return JSON.readTree(l);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + l, e);
            }
        }).filter(n -> n.path("message").asText().startsWith("canonical_api_line")
                && requestId.equals(n.path("request_id").asText())).collect(Collectors.toList());
    }

    static JsonNode awaitLine(CapturedOutput output, String requestId) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            List<JsonNode> lines = canonicalLines(output, requestId);
            if (!lines.isEmpty()) {
                assertEquals(1, lines.size(), () -> "one line per request: " + lines);
                return lines.get(0);
            }
            Thread.sleep(20); // the line is written after the response reached the client
        }
        throw new AssertionError("no canonical line for " + requestId + " in:\n" + output.getOut());
    }

    @Test
    void eachRequestsLineIsAnEcsJsonEventWithItsFieldsAsJsonFields(CapturedOutput output) throws Exception {
        HttpResponse<String> response = get("/clusters/c-7", "boot-1");
        assertEquals(200, response.statusCode());
        assertEquals("boot-1", response.headers().firstValue("X-Request-Id").orElse(null));
        JsonNode line = awaitLine(output, "boot-1");
        assertEquals("/clusters/{id}", line.path("http_route").asText(), line::toString);
        assertEquals("/clusters/c-7", line.path("http_path").asText(), line::toString);
        assertEquals(200, line.path("status").asInt(), line::toString);
        assertTrue(line.path("alloc_bytes").isNumber(), () -> "alloc_bytes is a JSON number: " + line);
        assertTrue(line.path("alloc_bytes").asLong() > 16_000, line::toString);
        assertEquals("dev.allocline.canonical", line.path("log").path("logger").asText(), line::toString);
    }

    @Test
    void theMeterRegistryBeanGetsThePerRouteFigure(CapturedOutput output) throws Exception {
        assertEquals(200, get("/clusters/c-8", "boot-2").statusCode());
        awaitLine(output, "boot-2");
        DistributionSummary summary = registry.find(MicrometerSink.ALLOCATED).tag("uri", "/clusters/{id}").summary();
        assertTrue(summary != null && summary.count() >= 1, () -> "meters: " + registry.getMeters().stream()
                .map(m -> m.getId().toString()).collect(Collectors.joining("\n")));
        assertTrue(summary.totalAmount() > 16_000, summary::toString);
    }

    @Test
    void skipRoutesLeavesTheHealthCheckOut(CapturedOutput output) throws Exception {
        assertEquals(200, get("/clusters/ping", "boot-skip").statusCode());
        assertEquals(200, get("/clusters/c-9", "boot-after").statusCode());
        awaitLine(output, "boot-after"); // lines are written in request order on one connection
        assertTrue(canonicalLines(output, "boot-skip").isEmpty(), output::getOut);
    }
}
