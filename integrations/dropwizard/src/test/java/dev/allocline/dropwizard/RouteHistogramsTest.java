package dev.allocline.dropwizard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import dev.allocline.line.CanonicalLine;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The sink's names stay bounded by what the service declares, not by what clients send. (Over HTTP,
 * Dropwizard's own {@code allowedMethods} filter answers made-up methods before Jersey, so no line carries
 * them by default; a service that widens that list must not get a histogram per method either.)
 */
class RouteHistogramsTest {

    private final MetricRegistry registry = new MetricRegistry();
    private final RouteHistograms sink = new RouteHistograms(registry);

    static CanonicalLine line(String method, String route) {
        return new CanonicalLine("id", method, "/p", route, 200, true, 1_000L, 4096, Optional.empty(), 1, -1, 2,
                Optional.empty(), Map.of());
    }

    long histograms() {
        return registry.getNames().stream().filter(n -> n.startsWith(RouteHistograms.PREFIX + ".")).count();
    }

    @Test
    void madeUpMethodsAreOneName() {
        for (int i = 0; i < 2_000; i++) {
            sink.accept(line("M" + i, ""));
            sink.accept(line("M" + i, "/clusters/{id}"));
        }
        assertEquals(Set.of("allocline.alloc_bytes.UNKNOWN UNMATCHED", "allocline.alloc_bytes.UNKNOWN /clusters/{id}"),
                Set.copyOf(registry.getNames().stream().filter(n -> n.startsWith(RouteHistograms.PREFIX + "."))
                        .toList()));
    }

    @Test
    void routesMadeAtRunTimeNeverPushTheDeclaredOnesIntoOther() {
        sink.onDeclaredRoutes(Set.of("/clusters/{id}", "/clusters/{id}/databases"));
        for (int i = 0; i < RouteHistograms.MAX_ROUTES + 500; i++) {
            sink.accept(line("GET", "/generated/r" + i));
        }
        assertEquals(RouteHistograms.MAX_ROUTES + 1, histograms(), "the cap, then OTHER");
        assertEquals(500, registry.histogram("allocline.alloc_bytes.GET OTHER").getCount());
        sink.accept(line("GET", "/clusters/{id}"));
        sink.accept(line("GET", "/api/clusters/{id}/databases")); // behind a base path
        assertEquals(1, registry.histogram("allocline.alloc_bytes.GET /clusters/{id}").getCount());
        assertEquals(1, registry.histogram("allocline.alloc_bytes.GET /api/clusters/{id}/databases").getCount());
        sink.accept(line("GET", "/x/generated/clusters/{id}x"));
        assertEquals(501, registry.histogram("allocline.alloc_bytes.GET OTHER").getCount(),
                "a route merely ending like a template is not declared");
        assertTrue(histograms() <= 2L * RouteHistograms.MAX_ROUTES + 1);
    }
}
