package dev.allocline.dropwizard;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import dev.allocline.line.BoundedRoutes;
import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineSink;
import dev.allocline.line.DeclaredRoutesListener;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Each request's bytes into a Dropwizard {@link Histogram} per route, named
 * {@code allocline.alloc_bytes.{METHOD} {route}} (e.g. {@code allocline.alloc_bytes.GET /clusters/{id}}); a
 * request whose figure is unavailable counts in {@code allocline.alloc_unavailable} instead of recording 0.
 * Called concurrently from request threads; after a route's first request, one map lookup and the
 * histogram's own update. Nothing a client sends can make names: routes are templates, a method outside the
 * standard ones is {@code UNKNOWN}, and past {@value #MAX_ROUTES} routes the application did not declare at
 * start (routes made at run time) the rest share {@code OTHER}, while its declared routes keep names of their
 * own ({@link BoundedRoutes}).
 */
final class RouteHistograms implements CanonicalLineSink, DeclaredRoutesListener {

    static final String PREFIX = "allocline.alloc_bytes";
    static final String UNAVAILABLE = "allocline.alloc_unavailable";
    static final int MAX_ROUTES = 1000;

    private final MetricRegistry registry;
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
            "TRACE", "CONNECT");

    private final ConcurrentMap<String, Histogram> byRoute = new ConcurrentHashMap<>();
    private final BoundedRoutes routes = new BoundedRoutes(MAX_ROUTES, "OTHER");
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
        String route = line.httpRoute().isEmpty() ? "UNMATCHED" : routes.admit(line.httpRoute());
        String method = METHODS.contains(line.httpMethod()) ? line.httpMethod() : "UNKNOWN";
        String key = method + " " + route;
        Histogram h = byRoute.get(key);
        if (h == null) {
            h = byRoute.computeIfAbsent(key, k -> registry.histogram(MetricRegistry.name(PREFIX, k)));
        }
        h.update(line.allocatedBytes());
    }

    @Override
    public void onDeclaredRoutes(Set<String> templates) {
        routes.onDeclaredRoutes(templates);
    }
}
