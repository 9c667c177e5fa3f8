package dev.allocline.dropwizard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Histogram;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The bundle on a real Dropwizard 5 service over real HTTP, configured from its YAML ({@code allocline.yml}:
 * the allocline block, JSON logging to a file): one JSON log event per request with the line, a histogram per
 * route in the service's MetricRegistry, routes skipped from the YAML.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class AllocLineBundleTest {

    static final Path LOG = Path.of("target/allocline-dropwizard-test.log");
    static final ObjectMapper JSON = new ObjectMapper();

    static {
        try {
            Files.deleteIfExists(LOG);
        } catch (java.io.IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static final DropwizardAppExtension<ClustersService.Config> APP = new DropwizardAppExtension<>(
            ClustersService.class, ResourceHelpers.resourceFilePath("allocline.yml"));

    HttpResponse<String> get(String path, String id) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + APP.getLocalPort() + path)).header("X-Request-Id", id)
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static List<JsonNode> linesFor(String id) throws Exception {
        if (!Files.exists(LOG)) {
            return List.of();
        }
        return Files.readAllLines(LOG).stream().filter(l -> l.startsWith("{")).map(l -> {
            try {
                return JSON.readTree(l);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + l, e);
            }
        }).filter(n -> n.path("message").asText().startsWith("canonical_api_line request_id=" + id + " "))
                .collect(Collectors.toList());
    }

    static JsonNode awaitLine(String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            List<JsonNode> lines = linesFor(id);
            if (!lines.isEmpty()) {
                assertEquals(1, lines.size(), () -> "one line per request: " + lines);
                return lines.get(0);
            }
            Thread.sleep(20); // the line is written after the response reached the client
        }
        throw new AssertionError("no line for " + id + " in " + (Files.exists(LOG) ? Files.readString(LOG) : "(no log)"));
    }

    @Test
    void eachRequestGetsOneJsonLogEventWithItsLine() throws Exception {
        HttpResponse<String> r = get("/clusters/c-1", "dw-1");
        assertEquals(200, r.statusCode());
        assertEquals("dw-1", r.headers().firstValue("X-Request-Id").orElse(null), "requestIdHeader from the YAML");
        JsonNode line = awaitLine("dw-1");
        String message = line.path("message").asText();
        assertTrue(message.contains(" http_route=/clusters/{id} "), message);
        assertTrue(message.matches(".* alloc_bytes=[1-9][0-9]{4,} .*"), message);
        assertEquals("dev.allocline.canonical", line.path("logger").asText(), line::toString);
    }

    @Test
    void eachRoutesBytesGoToAHistogramInTheMetricRegistry() throws Exception {
        assertEquals(200, get("/clusters/c-2", "dw-2").statusCode());
        awaitLine("dw-2");
        Histogram h = APP.getEnvironment().metrics().getHistograms()
                .get("allocline.alloc_bytes.GET /clusters/{id}");
        assertTrue(h != null && h.getCount() >= 1, () -> "histograms: " + APP.getEnvironment().metrics().getNames());
        assertTrue(h.getSnapshot().getMax() > 16_000, () -> "max " + h.getSnapshot().getMax());
    }

    @Test
    void skipRoutesFromTheYamlLeavesThePingOut() throws Exception {
        assertEquals(200, get("/clusters/ping", "dw-skip").statusCode());
        assertEquals(200, get("/clusters/c-3", "dw-after").statusCode());
        awaitLine("dw-after");
        assertTrue(linesFor("dw-skip").isEmpty());
    }
}
