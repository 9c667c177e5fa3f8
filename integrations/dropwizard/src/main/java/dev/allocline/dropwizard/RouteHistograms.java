package dev.allocline.dropwizard;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineSink;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Each request's bytes into a Dropwizard {@link Histogram} per route, named
 * {@code allocline.alloc_bytes.{METHOD} {route}} (e.g. {@code allocline.alloc_bytes.GET /clusters/{id}}); a
 * request whose figure is unavailable counts in {@code allocline.alloc_unavailable} instead of recording 0.
 * Called concurrently from request threads; after a route's first request, one map lookup and the
 * histogram's own update. Routes are templates, so the names are bounded; past {@value #MAX_ROUTES} routes
 * the rest share {@code OTHER}.
 */
final class RouteHistograms implements CanonicalLineSink {

    static final String PREFIX = "allocline.alloc_bytes";
    static final String UNAVAILABLE = "allocline.alloc_unavailable";
    static final int MAX_ROUTES = 1000;

    private final MetricRegistry registry;
    private final ConcurrentMap<String, Histogram> byRoute = new ConcurrentHashMap<>();
    private final Counter unavailable;

    RouteHistograms(MetricRegistry registry) {
        this.registry = registry;
        this.unavailable = registry.counter(UNAVAILABLE);
    }

    @Override
    public void accept(CanonicalLine line) {
        if (line.allocatedBytes() < 0) {
            unavailable.inc();
            return;
        }
        String route = line.httpRoute().isEmpty() ? "UNMATCHED" : line.httpRoute();
        String key = line.httpMethod() + " " + route;
        Histogram h = byRoute.get(key);
        if (h == null) {
            if (byRoute.size() >= MAX_ROUTES) {
                key = "OTHER";
            }
            h = byRoute.computeIfAbsent(key, k -> registry.histogram(MetricRegistry.name(PREFIX, k)));
        }
        h.update(line.allocatedBytes());
    }
}
