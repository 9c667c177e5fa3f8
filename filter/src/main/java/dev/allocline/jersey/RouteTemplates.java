package dev.allocline.jersey;

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
     * the resource class); the route is their reverse, joined with single slashes, with regular
     * expressions ({@code {id: [0-9]+}}) reduced to the variable name so cardinality stays low.
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
        return normalise(raw);
    }

    static String normalise(CharSequence raw) {
        StringBuilder out = new StringBuilder(raw.length());
        int n = raw.length();
        for (int i = 0; i < n; i++) {
            char c = raw.charAt(i);
            if (c == '{') {
                i = appendVariable(raw, i, out);
            } else if (c == '/') {
                if (out.length() == 0 || out.charAt(out.length() - 1) != '/') {
                    out.append('/');
                }
            } else {
                out.append(c);
            }
        }
        if (out.length() > 1 && out.charAt(out.length() - 1) == '/') {
            out.setLength(out.length() - 1);
        }
        return out.length() == 0 ? "/" : out.toString();
    }

    /** Appends {@code {name}} for the variable opening at {@code open}; returns the index of its closing brace. */
    private static int appendVariable(CharSequence raw, int open, StringBuilder out) {
        int n = raw.length();
        int i = open + 1;
        StringBuilder name = new StringBuilder();
        while (i < n && raw.charAt(i) != ':' && raw.charAt(i) != '}') {
            name.append(raw.charAt(i));
            i++;
        }
        if (i < n && raw.charAt(i) == ':') {
            // Skip the regular expression; it may itself contain balanced braces ({3}).
            int depth = 0;
            i++;
            while (i < n) {
                char c = raw.charAt(i);
                if (c == '\\' && i + 1 < n) {
                    i += 2;
                    continue;
                }
                if (c == '{') {
                    depth++;
                } else if (c == '}') {
                    if (depth == 0) {
                        break;
                    }
                    depth--;
                }
                i++;
            }
        }
        out.append('{').append(name.toString().trim()).append('}');
        return Math.min(i, n - 1);
    }
}
