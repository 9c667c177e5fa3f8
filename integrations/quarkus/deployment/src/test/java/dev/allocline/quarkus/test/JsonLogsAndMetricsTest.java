package dev.allocline.quarkus.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.QuarkusUnitTest;
import io.quarkus.test.common.http.TestHTTPResource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With {@code quarkus-logging-json} the line's fields are JSON fields of the log event (numbers as numbers)
 * and the text is the message, once; with {@code quarkus-micrometer} the figures are in its registry, here
 * scraped from Prometheus' endpoint as a user would.
 */
class JsonLogsAndMetricsTest {

    static final Path LOG = Path.of("target", "allocline-json-" + ProcessHandle.current().pid() + ".log");

    @RegisterExtension
    static final QuarkusUnitTest APP = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(Allocating.class, Allocating.Allocation.class,
                    Allocating.Conflict.class, Allocating.ConflictMapper.class, Allocating.AllocationWriter.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.allocline.request-id-header", "X-Request-Id")
            .overrideConfigKey("quarkus.log.file.enabled", "true")
            .overrideConfigKey("quarkus.log.file.path", LOG.toAbsolutePath().toString())
            .overrideConfigKey("quarkus.log.file.json.enabled", "true");

    @TestHTTPResource("/")
    URI base;

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    HttpResponse<String> get(String path, String id) throws Exception {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).header("X-Request-Id", id).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    JsonNode event(String requestId) throws Exception {
        return event(requestId, null);
    }

    /** The first JSON event of the request: its canonical line, or its event with {@code message}. */
    JsonNode event(String requestId, String message) throws Exception {
        ObjectMapper json = new ObjectMapper();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(LOG)) {
                for (String l : Files.readAllLines(LOG)) {
                    if (l.contains("\"request_id\":\"" + requestId + "\"")) {
                        JsonNode e = json.readTree(l);
                        if (message == null ? e.get("message").asText().startsWith("canonical_api_line")
                                : e.get("message").asText().equals(message)) {
                            return e;
                        }
                    }
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no JSON event for " + requestId + " in " + LOG);
    }

    @Test
    void theFieldsAreJsonFieldsAndNumbersStayNumbers() throws Exception {
        assertEquals(200, get("alloc/worker/2", "json-2").statusCode());
        JsonNode e = event("json-2");
        assertTrue(e.get("message").asText().startsWith("canonical_api_line request_id=json-2 "), e.toString());
        assertTrue(e.get("alloc_bytes").isNumber(), e.toString());
        assertTrue(e.get("alloc_bytes").asLong() >= 2L << 20, e.toString());
        java.util.regex.Matcher inText = java.util.regex.Pattern.compile(" alloc_bytes=(\\d+) ")
                .matcher(e.get("message").asText());
        assertTrue(inText.find(), e.toString());
        assertEquals(Long.parseLong(inText.group(1)), e.get("alloc_bytes").asLong(), "the field is the line's figure");
        assertTrue(e.get("status").isNumber() && e.get("status").asInt() == 200, e.toString());
        assertEquals("/alloc/worker/{mib}", e.get("http_route").asText());
        assertTrue(e.get("response_written").isBoolean(), e.toString());
        assertTrue(e.get("mib").isNumber(), "an application field keeps its type: " + e);
        JsonNode own = event("json-2", "building the report");
        assertEquals("json-2", own.get("mdc").get("request_id").asText(),
                "the application's own line on the worker thread carries the id in its logging context: " + own);
    }

    @Test
    void theIdStaysInTheRequestsLoggingContextWhenTheEventLoopLeavesIt() throws Exception {
        // The event loop's run ends once it has dispatched the method to a worker thread. It used to remove the id from
        // the MDC, which Quarkus keeps per request (the Vert.x duplicated context both threads share): when that
        // happened after the worker had put it, the worker's lines lost it (the test above failed ~1 run in 10).
        int requests = 400;
        for (int i = 0; i < requests; i++) {
            assertEquals(200, get("alloc/worker-log", "race-" + i).statusCode());
        }
        java.util.List<String> lines = Files.readAllLines(LOG);
        java.util.List<String> missing = new java.util.ArrayList<>();
        for (int i = 0; i < requests; i++) {
            String id = "race-" + i;
            boolean found = false;
            for (String l : lines) {
                if (l.contains("\"logging at once\"") && l.contains("\"request_id\":\"" + id + "\"")) {
                    found = true;
                    break;
                }
            }
            if (!found) {
                missing.add(id);
            }
        }
        long lines_ = lines.stream().filter(l -> l.contains("\"logging at once\"")).count();
        assertEquals(requests, lines_, "one line per request");
        assertTrue(missing.isEmpty(), "lines without their request's id: " + missing);
    }

    @Test
    void theFiguresReachQuarkusMicrometerRegistry() throws Exception {
        assertEquals(200, get("alloc/worker/1", "metrics-1").statusCode());
        event("metrics-1"); // the line is written after the response; the meters with it
        HttpResponse<String> scrape = http.send(HttpRequest.newBuilder(base.resolve("q/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, scrape.statusCode());
        assertTrue(scrape.body().lines().anyMatch(l -> l.startsWith("http_server_requests_allocated_bytes_count{")
                && l.contains("uri=\"/alloc/worker/{mib}\"")), scrape.body());
    }
}
