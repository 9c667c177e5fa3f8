package dev.allocline.jersey;

import dev.allocline.internal.accounting.Routes;
import java.net.URI;
import java.util.List;
import org.glassfish.jersey.uri.UriTemplate;

/**
 * Joins the application's base path and Jersey's matched templates into one route such as
 * {@code /api/clusters/{cluster_id}/databases}, so that route and path agree (as Micrometer's Jersey
 * tags do). Stateless; any thread.
 */
final class RouteTemplates {

    private RouteTemplates() {
    }

    /**
     * Jersey lists the matched templates last-matched first (method, then sub-resource locators, then
     * the resource class); the route is the base path and their reverse, normalised by {@link Routes}.
     */
    static String route(URI baseUri, List<UriTemplate> matchedLastFirst) {
        if (matchedLastFirst == null || matchedLastFirst.isEmpty()) {
            return "";
        }
        StringBuilder raw = new StringBuilder(64);
        String base = baseUri == null ? null : baseUri.getRawPath();
        if (base != null) {
            raw.append(base);
        }
        for (int i = matchedLastFirst.size() - 1; i >= 0; i--) {
            raw.append('/').append(matchedLastFirst.get(i).getTemplate());
        }
        return Routes.normalise(raw);
    }
}
