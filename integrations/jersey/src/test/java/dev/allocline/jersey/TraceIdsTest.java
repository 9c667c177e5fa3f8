package dev.allocline.jersey;

import dev.allocline.AllocLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.allocline.line.CanonicalLine;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.LoopbackServer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.ext.Provider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * With OpenTelemetry's API on the class path and a valid span current when the resource method starts,
 * the line carries its trace and span ids. The span here is opened by a request filter and closed by
 * its response filter, as an instrumentation without an agent does; the SDK, not a mock, makes it.
 */
class TraceIdsTest {

    static final InMemorySpanExporter EXPORTED = InMemorySpanExporter.create();
    // A provider without a span processor hands out no-op spans (all-zero ids): give it one.
    static final SdkTracerProvider PROVIDER = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(EXPORTED)).build();
    static final Tracer TRACER = PROVIDER.get("allocline-test");

    @AfterAll
    static void close() {
        PROVIDER.close();
    }

    @Provider
    public static final class Tracing implements ContainerRequestFilter, ContainerResponseFilter {
        @Override
        public void filter(ContainerRequestContext req) {
            if (req.getUriInfo().getPath().equals("traced")) {
                Span span = TRACER.spanBuilder("GET /traced").startSpan();
                req.setProperty("span", span);
                req.setProperty("scope", span.makeCurrent());
            }
        }

        @Override
        public void filter(ContainerRequestContext req, ContainerResponseContext resp) {
            Object scope = req.getProperty("scope");
            if (scope != null) {
                ((Scope) scope).close();
                ((Span) req.getProperty("span")).end();
            }
        }
    }

    @Path("/")
    public static final class Api {
        @GET
        @Path("traced")
        public String traced() {
            AllocLine.put("user", "u-1842");
            AllocLine.put("rows", 120);
            return "traced";
        }

        @GET
        @Path("untraced")
        public String untraced() {
            return "untraced";
        }
    }

    @Test
    void theCurrentSpansIdsAreOnTheLine() {
        LineCollector lines = new LineCollector();
        try (LoopbackServer server = LoopbackServer.start(Apps.withFeature(lines, Api.class, Tracing.class))) {
            CanonicalLine line = server.lineFor(lines, "/traced", 200);
            System.out.println("traced line: " + dev.allocline.line.CanonicalLineFormat.logfmt(line));
            SpanData span = EXPORTED.getFinishedSpanItems().get(0);
            assertEquals(span.getTraceId(), line.fields().get("trace_id"));
            assertEquals(span.getSpanId(), line.fields().get("span_id"));
            CanonicalLine plain = server.lineFor(lines, "/untraced", 200);
            assertFalse(plain.fields().containsKey("trace_id"), "no span, no ids: " + plain);
        }
    }
}
