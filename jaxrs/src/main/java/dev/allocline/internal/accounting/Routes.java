package dev.allocline.internal.accounting;

/**
 * Route templates as the line shows them: the application's base path and the matched templates
 * joined with single slashes, regular expressions ({@code {id: [0-9]+}}) reduced to the variable name
 * so cardinality stays low. Stateless; any thread. Not API.
 */
public final class Routes {

    private Routes() {
    }

    /** {@code basePath} (may be null) followed by {@code template}, normalised. */
    public static String join(String basePath, String template) {
        if (basePath == null || basePath.isEmpty() || basePath.equals("/")) {
            return template;
        }
        return normalise(basePath + "/" + template);
    }

    /** Collapses slashes, strips the trailing one, reduces {@code {name: regex}} to {@code {name}}. */
    public static String normalise(CharSequence raw) {
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
