package dev.allocline.jersey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.line.CanonicalLine;
import dev.allocline.profile.LocalDirectoryProfileStore;
import dev.allocline.testing.Eventually;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.LoopbackServer;
import dev.allocline.testing.ProfiledApi;
import io.opentelemetry.api.common.AttributeKey;
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
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpContainer;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpServerFactory;
import org.glassfish.jersey.server.ContainerFactory;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request's figure on its OpenTelemetry span: {@code allocline.alloc_bytes} (and
 * {@code allocline.profile_key} when a profile was taken) carry the line's values, on the span that was
 * current when the resource method started, as long as that span ends after the line is made. The span
 * here is a server span opened and ended around the whole container call, as OpenTelemetry's servlet
 * and Grizzly instrumentations do; the SDK with an in-memory exporter, not a mock, records it.
 */
class SpanAttributesTest {

    static final AttributeKey<Long> ALLOC_BYTES = AttributeKey.longKey("allocline.alloc_bytes");
    static final AttributeKey<String> PROFILE_KEY = AttributeKey.stringKey("allocline.profile_key");
    static final AttributeKey<String> REQUEST = AttributeKey.stringKey("test.request_id");

    static final InMemorySpanExporter EXPORTED = InMemorySpanExporter.create();
    // A provider without a span processor hands out no-op spans (all-zero ids): give it one.
    static final SdkTracerProvider PROVIDER = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(EXPORTED)).build();
    static final Tracer TRACER = PROVIDER.get("allocline-test");

    @AfterAll
    static void close() {
        PROVIDER.close();
    }

    /** A server span around the container's whole handling of the request, entity write included. */
    static final class TracedContainer extends HttpHandler {
        private final GrizzlyHttpContainer jersey;

        TracedContainer(GrizzlyHttpContainer jersey) {
            this.jersey = jersey;
        }

        @Override
        public void start() {
            jersey.start();
        }

        @Override
        public void destroy() {
            jersey.destroy();
        }

        @Override
        public void service(Request request, Response response) throws Exception {
            Span span = TRACER.spanBuilder(request.getMethod() + " " + request.getRequestURI())
                    .setAttribute(REQUEST, String.valueOf(request.getHeader("X-Request-Id"))).startSpan();
            try (Scope ignored = span.makeCurrent()) {
                jersey.service(request, response);
            } finally {
                span.end();
            }
        }
    }

    /** A Grizzly server whose only handler is Jersey wrapped in {@link TracedContainer}. */
    static final class TracedServer implements AutoCloseable {
        final HttpServer server;
        final URI base;
        final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        TracedServer(ResourceConfig config) throws IOException {
            server = GrizzlyHttpServerFactory.createHttpServer(URI.create("http://127.0.0.1:0/"),
                    (GrizzlyHttpContainer) null, false, null, false);
            server.getServerConfiguration().addHttpHandler(
                    new TracedContainer(ContainerFactory.createContainer(GrizzlyHttpContainer.class, config)), "/");
            server.start();
            base = URI.create("http://127.0.0.1:" + server.getListener("grizzly").getPort());
        }

        /** GETs {@code path} as request {@code id}, and returns that request's line once written. */
        CanonicalLine lineFor(LineCollector lines, String path, String id) throws Exception {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(Duration.ofSeconds(30)).header("X-Request-Id", id).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r::body);
            return lines.awaitRequest(id);
        }

        @Override
        public void close() {
            server.shutdownNow();
        }
    }

    /** The exported span of request {@code id}, waiting until it has ended. */
    static SpanData spanOf(String id) {
        Eventually.that("the span of request " + id + " is exported", () -> find(id).isPresent());
        return find(id).get();
    }

    private static Optional<SpanData> find(String id) {
        return EXPORTED.getFinishedSpanItems().stream().filter(s -> id.equals(s.getAttributes().get(REQUEST)))
                .findFirst();
    }

    @Path("/")
    public static final class Api {
        @GET
        @Path("body")
        public StreamingOutput body() {
            // Bytes allocated while the entity is written: they are in the figure only because it is taken after the write.
            return out -> {
                for (int i = 0; i < 64; i++) {
                    out.write(new byte[16 * 1024], 0, 16);
                }
            };
        }
    }

    private static ResourceConfig app(LineCollector lines, AllocLineFeature.Builder feature, Object... components) {
        ResourceConfig rc = new ResourceConfig(Api.class);
        rc.register(feature.defaultSink(false).requestIdHeader("X-Request-Id").sink(lines).build());
        for (Object c : components) {
            if (c instanceof Class) {
                rc.register((Class<?>) c);
            } else {
                rc.register(c);
            }
        }
        return rc;
    }

    @Test
    void aServerSpanEndedAfterTheResponseCarriesTheLinesAllocBytes() throws Exception {
        LineCollector lines = new LineCollector();
        try (TracedServer server = new TracedServer(app(lines, AllocLineFeature.builder()))) {
            CanonicalLine line = server.lineFor(lines, "/body", "span-1");
            SpanData span = spanOf("span-1");
            assertTrue(line.allocatedBytes() > 64 * 16 * 1024, line::toString);
            assertEquals(line.allocatedBytes(), span.getAttributes().get(ALLOC_BYTES), span::toString);
            assertEquals(span.getSpanId(), line.fields().get("span_id"), "the span the line names is the one tagged");
            assertNull(span.getAttributes().get(PROFILE_KEY), "no profile, no key");
        }
    }

    @Test
    void spanAttributesFalseLeavesTheSpanAloneAndKeepsTheIdsOnTheLine() throws Exception {
        LineCollector lines = new LineCollector();
        try (TracedServer server = new TracedServer(app(lines, AllocLineFeature.builder().spanAttributes(false)))) {
            CanonicalLine line = server.lineFor(lines, "/body", "span-off");
            SpanData span = spanOf("span-off");
            assertNull(span.getAttributes().get(ALLOC_BYTES), span::toString);
            assertEquals(span.getSpanId(), line.fields().get("span_id"));
        }
    }

    @Test
    void aProfiledRequestsSpanCarriesItsProfileKey(@TempDir java.nio.file.Path tmp) throws Exception {
        LineCollector lines = new LineCollector();
        AllocLineFeature.Builder feature = AllocLineFeature.builder().profileThresholdBytes(8L << 20)
                .profileStore(new LocalDirectoryProfileStore(tmp.resolve("store"))).profileTempDirectory(tmp.resolve("work"))
                .environment("spans");
        try (TracedServer server = new TracedServer(app(lines, feature, ProfiledApi.class))) {
            CanonicalLine line = server.lineFor(lines, "/profiled/overrun/16", "span-profiled");
            String key = line.profileKey().orElseThrow(() -> new AssertionError("no profile: " + line));
            SpanData span = spanOf("span-profiled");
            assertEquals(key, span.getAttributes().get(PROFILE_KEY), span::toString);
            assertEquals(line.allocatedBytes(), span.getAttributes().get(ALLOC_BYTES));
        }
    }

    /** Opens the span in a request filter and ends it in a response filter, before Jersey writes the entity. */
    public static final class FilterSpan implements ContainerRequestFilter, ContainerResponseFilter {
        @Override
        public void filter(ContainerRequestContext req) {
            Span span = TRACER.spanBuilder("filter span").setAttribute(REQUEST, req.getHeaderString("X-Request-Id"))
                    .startSpan();
            req.setProperty("span", span);
            req.setProperty("scope", span.makeCurrent());
        }

        @Override
        public void filter(ContainerRequestContext req, ContainerResponseContext resp) {
            ((Scope) req.getProperty("scope")).close();
            ((Span) req.getProperty("span")).end();
        }
    }

    /**
     * The documented limit: a span ended by a response filter has ended before the entity is written and the
     * line made, so it carries the ids' correlation (on the line) but not the figure.
     */
    @Test
    void aSpanEndedInAResponseFilterEndsBeforeTheLineAndGetsNoFigure() {
        LineCollector lines = new LineCollector();
        try (LoopbackServer server = LoopbackServer.start(app(lines, AllocLineFeature.builder(), FilterSpan.class))) {
            CanonicalLine line = server.lineFor(lines, "/body", 200);
            SpanData span = spanOf(line.requestId());
            assertEquals(span.getSpanId(), line.fields().get("span_id"));
            assertNull(span.getAttributes().get(ALLOC_BYTES), span::toString);
        }
    }
}
