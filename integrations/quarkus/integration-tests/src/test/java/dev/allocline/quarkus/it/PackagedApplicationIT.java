package dev.allocline.quarkus.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;

/**
 * The application packaged as a user packages it ({@code target/quarkus-app/quarkus-run.jar}) and started with
 * {@code java -jar}, with nothing but the dependency and one property: its console carries one line per
 * request, exact, through Quarkus' own log format.
 */
class PackagedApplicationIT {

    static final long MIB = 1 << 20;
    static final long SLACK = 256L << 10;

    static PackagedApp app;
    static URI base;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        app = PackagedApp.start();
        base = app.base();
    }

    @AfterAll
    static void stop() throws Exception {
        if (app != null) {
            app.stop();
        }
    }

    String get(String path, String id) throws Exception {
        return app.get(path, id);
    }

    static Map<String, String> line(String id) throws InterruptedException {
        return app.line(id);
    }

    static void assertExact(long expected, Map<String, String> line) {
        long b = Long.parseLong(line.get("alloc_bytes"));
        assertTrue(b >= expected && b <= expected + SLACK, "alloc_bytes " + b + " not within [" + expected + ", +"
                + SLACK + "]: " + line);
    }

    @Test
    void aWorkerThreadRequestIsExact() throws Exception {
        get("reports/2", "warm-up");
        assertEquals("200 report of 16 MiB", get("reports/16", "report-16"));
        Map<String, String> line = line("report-16");
        assertExact(16 * MIB, line);
        assertEquals("/reports/{mib}", line.get("http_route"));
        assertEquals("200", line.get("status"));
        assertEquals("2", line.get("alloc_threads"));
        assertEquals("16", line.get("report_mib"));
    }

    @Test
    void anEventLoopRequestIsExact() throws Exception {
        get("reports/quick/1", "warm-up-quick");
        assertEquals("200 quick 8", get("reports/quick/8", "quick-8"));
        Map<String, String> line = line("quick-8");
        assertExact(8 * MIB, line);
        assertEquals("1", line.get("alloc_threads"));
    }

    static void assertWithinTenPercent(long allocated, Map<String, String> line) {
        long b = Long.parseLong(line.get("alloc_bytes"));
        assertTrue(b >= allocated && b <= allocated + allocated / 10, "alloc_bytes " + b + " not within 1.0–1.10× of "
                + allocated + ": " + line);
    }

    HttpRequest request(String path, String id) {
        return HttpRequest.newBuilder(base.resolve(path)).header("X-Request-Id", id).build();
    }

    @Test
    void timerStepsOnTheEventLoopAreExactBesideSmallRequests() throws Exception {
        String small = "nb/alloc/16?ms=320&kib=16";
        for (int i = 0; i < 3; i++) {
            get("nb/alloc/8?ms=40", "steps-warm-up-" + i);
            get(small, "small-warm-up-" + i);
        }
        long[] alone = new long[3];
        for (int i = 0; i < alone.length; i++) {
            assertEquals("200 steps done", get(small, "small-alone-" + i));
            alone[i] = Long.parseLong(line("small-alone-" + i).get("alloc_bytes"));
        }
        java.util.Arrays.sort(alone);
        long sizeAlone = alone[1];
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            calls.add(http.sendAsync(request("nb/alloc/64?ms=600", "nb-64-" + i), HttpResponse.BodyHandlers.ofString()));
            for (int j = 0; j < 6; j++) {
                calls.add(http.sendAsync(request(small, "nb-small-" + i + "-" + j), HttpResponse.BodyHandlers.ofString()));
            }
        }
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            assertEquals(200, c.get(30, TimeUnit.SECONDS).statusCode());
        }
        for (int i = 0; i < 3; i++) {
            Map<String, String> line = line("nb-64-" + i);
            assertWithinTenPercent(64 * MIB, line);
            assertEquals("/nb/alloc/{steps}", line.get("http_route"));
            for (int j = 0; j < 6; j++) {
                Map<String, String> s = line("nb-small-" + i + "-" + j);
                long b = Long.parseLong(s.get("alloc_bytes"));
                assertTrue(b >= 256 * 1024 && b <= 2 * sizeAlone, "within 2× of " + sizeAlone + " alone: " + s);
            }
        }
    }

    @Test
    void serverSentEventsBuiltInTimersAreCountedAndTheLineWrittenWhenTheStreamEnds() throws Exception {
        get("nb/sse/2", "sse-warm-up");
        String body = get("nb/sse/16", "sse-16");
        assertTrue(body.startsWith("200 ") && body.contains("data:item 1"), body);
        assertWithinTenPercent(16 * MIB, line("sse-16"));
    }

    @Test
    void noRouteAndAnUnmappedExceptionGetLines() throws Exception {
        assertTrue(get("nowhere", "nowhere").startsWith("404"));
        assertEquals("404", line("nowhere").get("status"));
        get("reports/broken-empty", "broken-warm-up");
        assertTrue(get("reports/broken-empty", "broken-empty").startsWith("500"));
        long handlerOnly = Long.parseLong(line("broken-empty").get("alloc_bytes"));
        assertTrue(get("reports/broken", "broken").startsWith("500"));
        Map<String, String> broken = line("broken");
        assertEquals("500", broken.get("status"));
        assertEquals("/reports/broken", broken.get("http_route"));
        assertTrue(Long.parseLong(broken.get("alloc_bytes")) >= MIB, broken.toString());
        long own = Long.parseLong(broken.get("alloc_bytes")) - handlerOnly;
        assertTrue(own >= MIB - SLACK && own <= MIB + SLACK,
                "1 MiB more than the same failure without it (" + handlerOnly + "): " + broken);
    }

    @Test
    void theLineCarriesTheIdsOfQuarkusOpenTelemetrySpan() throws Exception {
        String trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("reports/1"))
                .header("X-Request-Id", "traced").header("traceparent", "00-" + trace + "-00f067aa0ba902b7-01").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        Map<String, String> line = line("traced");
        assertEquals(trace, line.get("trace_id"), "the server span continues the caller's trace: " + line);
        assertTrue(line.get("span_id") != null && line.get("span_id").matches("[0-9a-f]{16}")
                && !line.get("span_id").equals("00f067aa0ba902b7"), "the server span's own id: " + line);
    }

    @Test
    @EnabledForJreRange(min = JRE.JAVA_21)
    void aVirtualThreadRequestSaysMinusOneAndWhy() throws Exception {
        assertEquals("200 virtual", get("virtual", "virtual-1"));
        Map<String, String> line = line("virtual-1");
        assertEquals("-1", line.get("alloc_bytes"));
        assertEquals("virtual_thread", line.get("alloc_unavailable"));
        assertEquals("/virtual", line.get("http_route"));
    }
}
