package dev.allocline.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allocline.jersey.AllocLine;
import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.testing.Eventually;
import dev.allocline.testing.LoopbackServer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import java.net.http.HttpRequest;
import java.time.Duration;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Spring Boot's set-up: Logback, with Log4j2's API bridged to SLF4J by log4j-to-slf4j. A Log4j2
 * {@code MapMessage} would arrive as one string; the line must go through SLF4J's key-value API so
 * structured encoders get real fields.
 */
@Tag("log4j-bridge")
class Log4jBridgeTest {

    @Path("/bridge")
    public static final class Api {
        @GET
        public String get() {
            AllocLine.put("tenant", "t-9");
            return "ok";
        }
    }

    @Test
    void withLog4jBridgedToSlf4jTheFieldsArriveAsKeyValuePairs() throws Exception {
        assertTrue(org.apache.logging.log4j.LogManager.getFactory().getClass().getName().contains("SLF4J"),
                "this execution has log4j-to-slf4j");
        try (LogbackJson canonical = new LogbackJson("dev.allocline.canonical");
             LoopbackServer server = LoopbackServer.start(new ResourceConfig(Api.class)
                     .register(AllocLineFeature.builder().requestIdHeader("X-Request-Id").build()))) {
            server.send(HttpRequest.newBuilder(server.uri("/bridge")).header("X-Request-Id", "boot-1")
                    .timeout(Duration.ofSeconds(10)).build());
            Eventually.that("a canonical line in Logback", () -> canonical.text().contains("boot-1"));
            JsonNode event = canonical.events().get(0);
            System.out.println("bridged json line: " + event);
            assertEquals("t-9", LogbackJson.kv(event, "tenant").asText());
            assertTrue(Long.parseLong(LogbackJson.kv(event, "alloc_bytes").asText()) > 0, event::toString);
            assertTrue(canonical.rawValue("alloc_bytes") instanceof Long, "numbers are handed over as numbers");
        }
    }
}
