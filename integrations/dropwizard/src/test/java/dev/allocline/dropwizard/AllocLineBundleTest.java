package dev.allocline.dropwizard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Histogram;
import com.fasterxml.jackson.databind.JsonNode;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import io.dropwizard.testing.junit5.DropwizardExtensionsSupport;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The bundle on a real Dropwizard 5 service over real HTTP, configured from its YAML ({@code allocline.yml}:
 * the allocline block, JSON logging to a file): one JSON log event per request with the line, a histogram per
 * route in the service's MetricRegistry, routes skipped from the YAML.
 */
@ExtendWith(DropwizardExtensionsSupport.class)
class AllocLineBundleTest {

    static final JsonLog LOG = new JsonLog(Path.of("target/allocline-dropwizard-test.log"));

    static final DropwizardAppExtension<ClustersService.Config> APP = new DropwizardAppExtension<>(
            ClustersService.class, ResourceHelpers.resourceFilePath("allocline.yml"));

    HttpResponse<String> get(String path, String id) throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + APP.getLocalPort() + path)).header("X-Request-Id", id)
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static List<JsonNode> linesFor(String id) throws Exception {
        return LOG.linesFor(id);
    }

    static JsonNode awaitLine(String id) throws Exception {
        return LOG.awaitLine(id);
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
    void withTheJsonLayoutTheLinesFieldsAreJsonFieldsNumbersAsNumbers() throws Exception {
        assertEquals(200, get("/clusters/c-json", "dw-json").statusCode());
        JsonNode line = awaitLine("dw-json");
        assertEquals("dw-json", line.path("request_id").asText(), line::toString);
        assertEquals("GET", line.path("http_method").asText(), line::toString);
        assertEquals("/clusters/c-json", line.path("http_path").asText(), line::toString);
        assertEquals("/clusters/{id}", line.path("http_route").asText(), line::toString);
        assertTrue(line.path("status").isIntegralNumber(), () -> "status is a JSON number: " + line);
        assertEquals(200, line.path("status").asInt(), line::toString);
        assertTrue(line.path("alloc_bytes").isIntegralNumber(), () -> "alloc_bytes is a JSON number: " + line);
        assertTrue(line.path("alloc_bytes").asLong() > 16_000, line::toString);
        assertTrue(line.path("alloc_threads").isIntegralNumber(), line::toString);
        assertEquals("INFO", line.path("level").asText(), () -> "Dropwizard's own fields stay: " + line);
        assertTrue(line.path("message").asText().contains(" alloc_bytes=" + line.path("alloc_bytes").asLong()),
                () -> "the message keeps the logfmt text with the same figure: " + line);
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
