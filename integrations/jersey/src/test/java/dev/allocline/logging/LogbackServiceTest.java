package dev.allocline.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allocline.AllocLine;
import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.testing.Eventually;
import dev.allocline.testing.LoopbackServer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * A Logback service: log4j-api is on the class path without a provider (as Dropwizard and Jetty with
 * logback-classic have it), OpenTelemetry is absent. The README's one-line registration must produce
 * lines, through SLF4J's key-value API, with the request id in the MDC.
 */
@Tag("logback")
class LogbackServiceTest {

    @Path("/lb")
    public static final class Api {
        @GET
        public String get() {
            AllocLine.put("team", "payments");
            AllocLine.put("rows", 12);
            org.slf4j.LoggerFactory.getLogger("app").info("the application's own line");
            return String.valueOf(MDC.get("request_id"));
        }
    }

    @Test
    void theDefaultRegistrationWritesJsonFieldsThroughLogback() throws Exception {
        // Everything written to stderr from here on: a Logback user must not see a Log4j ERROR at start-up
        // because allocline looked for Log4j2 (log4j-api prints one when it is asked and has no provider).
        java.io.PrintStream realErr = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(new java.io.OutputStream() { // both: the build log keeps it
            @Override
            public void write(int b) {
                realErr.write(b);
                err.write(b);
            }
        }, true));
        try {
            serveOneRequest();
        } finally {
            System.setErr(realErr);
        }
        String printed = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertFalse(printed.contains("Log4j") || printed.contains("log4j") || printed.contains("allocline"),
                "nothing about allocline's choice of logging API on stderr:\n" + printed);
        if (Boolean.getBoolean("allocline.test.withoutLog4jApi")) {
            // What allocline's own tree now gives a Logback service (Dropwizard): no Log4j2 API at all.
            assertThrows(ClassNotFoundException.class, () -> Class.forName("org.apache.logging.log4j.LogManager"),
                    "this execution has no log4j-api");
        } else {
            assertTrue(org.apache.logging.log4j.LogManager.getFactory().getClass().getName().contains("Simple"),
                    "this execution has log4j-api without a provider");
        }
    }

    private void serveOneRequest() throws Exception {
        try (LogbackJson canonical = new LogbackJson("dev.allocline.canonical");
             LogbackJson app = new LogbackJson("app");
             LoopbackServer server = LoopbackServer.start(new ResourceConfig(Api.class)
                     .register(AllocLineFeature.builder().requestIdHeader("X-Request-Id").build()))) {
            HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri("/lb"))
                    .header("X-Request-Id", "lb-req-1").timeout(Duration.ofSeconds(10)).build());
            assertEquals("lb-req-1", r.body(), "the request id is in the MDC while the request runs");
            Eventually.that("a canonical line in Logback", () -> canonical.text().contains("lb-req-1"));
            JsonNode event = canonical.events().get(0);
            System.out.println("logback json line: " + event);
            assertTrue(event.path("message").asText().startsWith("canonical_api_line request_id=lb-req-1 "));
            assertEquals("lb-req-1", LogbackJson.kv(event, "request_id").asText());
            assertTrue(Long.parseLong(LogbackJson.kv(event, "alloc_bytes").asText()) > 0, event::toString);
            assertTrue(canonical.rawValue("alloc_bytes") instanceof Long, "numbers are handed over as numbers");
            assertEquals(200, LogbackJson.kv(event, "status").asInt());
            assertEquals("payments", LogbackJson.kv(event, "team").asText());
            assertEquals(12, LogbackJson.kv(event, "rows").asInt());
            assertEquals(12, canonical.rawValue("rows"));
            assertEquals(null, LogbackJson.kv(event, "trace_id"), "no OpenTelemetry here, and nothing failed");
            JsonNode own = app.events().get(0);
            assertEquals("lb-req-1", own.path("mdc").path("request_id").asText(),
                    "the application's own lines carry the id: " + own);
        }
        assertEquals(Optional.empty(), Optional.ofNullable(MDC.get("request_id")));
    }
}
