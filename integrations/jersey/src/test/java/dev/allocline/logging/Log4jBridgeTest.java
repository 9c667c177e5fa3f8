package dev.allocline.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allocline.AllocLine;
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

    static final io.opentelemetry.sdk.trace.SdkTracerProvider PROVIDER = io.opentelemetry.sdk.trace.SdkTracerProvider
            .builder().addSpanProcessor(io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(
                    io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create())).build();

    @Path("/bridge")
    public static final class Api {
        @GET
        public String get() {
            AllocLine.put("tenant", "t-9");
            AllocLine.put("rows", 12);
            return "ok";
        }
    }

    /** Opens a span around the request, as an instrumentation without an agent does. */
    @jakarta.ws.rs.ext.Provider
    public static final class Tracing implements jakarta.ws.rs.container.ContainerRequestFilter,
            jakarta.ws.rs.container.ContainerResponseFilter {
        @Override
        public void filter(jakarta.ws.rs.container.ContainerRequestContext req) {
            io.opentelemetry.api.trace.Span span = PROVIDER.get("test").spanBuilder("GET /bridge").startSpan();
            req.setProperty("span", span);
            req.setProperty("scope", span.makeCurrent());
        }

        @Override
        public void filter(jakarta.ws.rs.container.ContainerRequestContext req,
                           jakarta.ws.rs.container.ContainerResponseContext resp) {
            ((io.opentelemetry.context.Scope) req.getProperty("scope")).close();
            ((io.opentelemetry.api.trace.Span) req.getProperty("span")).end();
        }
    }

    @Test
    void withLog4jBridgedToSlf4jTheFieldsArriveAsKeyValuePairs() throws Exception {
        assertTrue(org.apache.logging.log4j.LogManager.getFactory().getClass().getName().contains("SLF4J"),
                "this execution has log4j-to-slf4j");
        try (LogbackJson canonical = new LogbackJson("dev.allocline.canonical");
             LoopbackServer server = LoopbackServer.start(new ResourceConfig(Api.class, Tracing.class)
                     .register(AllocLineFeature.builder().requestIdHeader("X-Request-Id").build()))) {
            server.send(HttpRequest.newBuilder(server.uri("/bridge")).header("X-Request-Id", "boot-1")
                    .timeout(Duration.ofSeconds(10)).build());
            Eventually.that("a canonical line in Logback", () -> canonical.text().contains("boot-1"));
            JsonNode event = canonical.events().get(0);
            System.out.println("bridged json line: " + event);
            assertEquals("t-9", LogbackJson.kv(event, "tenant").asText());
            assertEquals("boot-1", LogbackJson.kv(event, "request_id").asText(), "the trusted inbound id");
            assertTrue(LogbackJson.kv(event, "trace_id").asText().matches("[0-9a-f]{32}"), event::toString);
            assertTrue(LogbackJson.kv(event, "span_id").asText().matches("[0-9a-f]{16}"), event::toString);
            assertTrue(Long.parseLong(LogbackJson.kv(event, "alloc_bytes").asText()) > 0, event::toString);
            assertTrue(canonical.rawValue("alloc_bytes") instanceof Long, "numbers are handed over as numbers");
        }
    }
}
