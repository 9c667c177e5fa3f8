package dev.allocline.jersey;

import dev.allocline.internal.accounting.Routes;
import java.net.URI;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.glassfish.jersey.server.ExtendedUriInfo;
import org.glassfish.jersey.server.model.Resource;
import org.glassfish.jersey.server.model.ResourceMethod;
import org.glassfish.jersey.server.model.ResourceModel;
import org.glassfish.jersey.uri.UriTemplate;

/**
 * Joins the application's base path and Jersey's matched templates into one route such as
 * {@code /api/clusters/{cluster_id}/databases}, so that route and path agree (as Micrometer's Jersey
 * tags do). An instance remembers the route of each resource method, so a request to a known method
 * costs a map lookup and no string work. Thread-safe.
 */
final class RouteTemplates {

    /** Methods remembered at most; an application with more (generated resources) joins the rest per request. */
    static final int MAX_CACHED = 4096;

    /** The route of one resource method, for the base path and the exact templates it was joined from. */
    private static final class Cached {
        final String base;
        final UriTemplate[] templates;
        final boolean throughLocators;
        final String route;

        Cached(String base, UriTemplate[] templates, boolean throughLocators, String route) {
            this.base = base;
            this.templates = templates;
            this.throughLocators = throughLocators;
            this.route = route;
        }

        /** Same base path and the same template objects in the same order (Jersey reuses its model's). */
        boolean matches(String base, List<UriTemplate> matched) {
            if (!Objects.equals(this.base, base) || matched.size() != templates.length) {
                return false;
            }
            for (int i = 0; i < templates.length; i++) {
                if (matched.get(i) != templates[i]) {
                    return false;
                }
            }
            return true;
        }
    }

    private final ConcurrentHashMap<ResourceMethod, Cached> byMethod = new ConcurrentHashMap<>();

    /**
     * The route of the request {@code uriInfo} describes. A method reached through different sub-resource
     * locators has different templates: the cached route is used only when they are the same objects.
     */
    String route(ExtendedUriInfo uriInfo) {
        URI baseUri = uriInfo.getBaseUri();
        String base = baseUri == null ? null : baseUri.getRawPath();
        ResourceMethod method = uriInfo.getMatchedResourceMethod();
        List<ResourceMethod> locators = method == null ? null : uriInfo.getMatchedResourceLocators();
        boolean throughLocators = locators != null && !locators.isEmpty();
        Cached c = method == null ? null : byMethod.get(method);
        if (c != null && !throughLocators && !c.throughLocators && Objects.equals(c.base, base)) {
            // Reached without locators, a method has one resource's templates: no need to look at them.
            return c.route;
        }
        List<UriTemplate> matched = uriInfo.getMatchedTemplates();
        if (matched == null || matched.isEmpty()) {
            return "";
        }
        if (c != null && c.matches(base, matched)) {
            return c.route;
        }
        String route = route(baseUri, matched);
        if (method != null && byMethod.size() < MAX_CACHED) {
            byMethod.put(method, new Cached(base, matched.toArray(new UriTemplate[0]), throughLocators, route));
        }
        return route;
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
        if (baseUri != null) {
            raw.append(Routes.basePath(baseUri.getRawPath())); // one value however the container spelt it
        }
        for (int i = matchedLastFirst.size() - 1; i >= 0; i--) {
            raw.append('/').append(matchedLastFirst.get(i).getTemplate());
        }
        return Routes.normalise(raw);
    }

    /**
     * The routes {@code model} declares, relative to the base path and spelt as {@link #route} spells them
     * after it: every resource method of a root resource and of its child resources. Sub-resource locators'
     * routes are made at run time and are left out.
     */
    static Set<String> declared(ResourceModel model) {
        Set<String> out = new LinkedHashSet<>();
        if (model == null) {
            return out;
        }
        for (Resource root : model.getRootResources()) {
            String rootPath = "/" + (root.getPath() == null ? "" : root.getPath());
            if (!root.getResourceMethods().isEmpty()) {
                out.add(Routes.normalise(rootPath));
            }
            for (Resource child : root.getChildResources()) {
                if (!child.getResourceMethods().isEmpty()) {
                    out.add(Routes.normalise(rootPath + "/" + (child.getPath() == null ? "" : child.getPath())));
                }
            }
        }
        return out;
    }
}
