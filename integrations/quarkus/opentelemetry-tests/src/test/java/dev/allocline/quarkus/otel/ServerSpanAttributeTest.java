package dev.allocline.quarkus.otel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.line.CanonicalLine;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.QuarkusUnitTest;
import io.quarkus.test.common.http.TestHTTPResource;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.jboss.logmanager.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * With quarkus-opentelemetry, the server span Quarkus makes for a request carries the request's figure as
 * {@code allocline.alloc_bytes}, exactly the line's {@code alloc_bytes}, and the line carries the span's ids: read
 * back from the spans the application exported (an in-memory exporter bean), over real HTTP.
 */
class ServerSpanAttributeTest {

    static final AttributeKey<Long> ALLOC_BYTES = AttributeKey.longKey("allocline.alloc_bytes");

    @RegisterExtension
    static final QuarkusUnitTest APP = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(Traced.class, Traced.Exporter.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.allocline.request-id-header", "X-Request-Id")
            .overrideConfigKey("quarkus.otel.bsp.schedule.delay", "50ms")
            .overrideConfigKey("quarkus.otel.metrics.enabled", "false")
            .overrideConfigKey("quarkus.otel.logs.enabled", "false");

    static final List<CanonicalLine> LINES = new CopyOnWriteArrayList<>();

    static {
        Logger.getLogger("dev.allocline").addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                Object[] p = record.getParameters();
                if (p != null && p.length == 1 && p[0] instanceof CanonicalLine) {
                    LINES.add((CanonicalLine) p[0]);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    InMemorySpanExporter spans;

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void theServerSpanOfAnAllocatingRequestCarriesTheLinesAllocBytes() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("traced/8"))
                .header("X-Request-Id", "traced-8").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        CanonicalLine line = await(() -> LINES.stream().filter(l -> l.requestId().equals("traced-8")).findFirst(),
                "the line of traced-8: " + LINES);
        assertTrue(line.allocatedBytes() >= 8L << 20, "8 MiB allocated: " + line);
        Object traceId = line.fields().get("trace_id");
        Object spanId = line.fields().get("span_id");
        SpanData server = await(() -> spans.getFinishedSpanItems().stream()
                .filter(s -> s.getKind() == SpanKind.SERVER && s.getSpanId().equals(spanId)).findFirst(),
                "a server span with the line's span_id " + spanId + "; spans: " + spans.getFinishedSpanItems());
        assertEquals(traceId, server.getTraceId());
        assertEquals(line.allocatedBytes(), server.getAttributes().get(ALLOC_BYTES),
                "the span's allocline.alloc_bytes is the line's alloc_bytes: " + server.getAttributes());
    }

    static <T> T await(java.util.function.Supplier<Optional<T>> what, String description) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<T> found = what.get();
            if (found.isPresent()) {
                return found.get();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("not within 20 s: " + description);
    }
}
