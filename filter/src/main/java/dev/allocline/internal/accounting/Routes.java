package dev.allocline.internal.accounting;

/**
 * Route templates as the line shows them: the application's base path and the matched templates
 * joined with single slashes, regular expressions ({@code {id: [0-9]+}}) reduced to the variable name
 * so cardinality stays low. Stateless; any thread. Not API.
 */
public final class Routes {

    private Routes() {
    }

    /** {@code basePath} (may be null, raw as the request gave it) followed by {@code template}, normalised. */
    public static String join(String basePath, String template) {
        String base = basePath(basePath);
        if (base.equals("/")) {
            return template;
        }
        return normalise(base + "/" + template);
    }

    /**
     * The application's base path as one value, whatever form a request gave it in. Containers hand
     * the context path over raw: {@code /app;x=1}, {@code /app;x=2} and {@code /%61pp} all reach the same
     * application, and taken as they come each would be a route (and a metrics series) of its own,
     * without bound. So matrix parameters are dropped from every segment, {@code %XX} escapes of
     * unreserved characters ({@code A-Z a-z 0-9 - . _ ~}) decoded and other escapes upper-cased (RFC 3986
     * §6.2.2.1: {@code %c3} and {@code %C3} are one byte), and dot-segments resolved (§5.2.4): Tomcat's
     * context path is the raw prefix that normalises to it, so {@code /x1/../app} and {@code /x2/../app}
     * are both {@code /app}.
     */
    public static String basePath(String raw) {
        if (raw == null || raw.isEmpty()) {
            return "/";
        }
        if (raw.indexOf(';') < 0 && raw.indexOf('%') < 0 && raw.indexOf('.') < 0) {
            return raw; // the common case: nothing to take apart
        }
        StringBuilder out = new StringBuilder(raw.length());
        int n = raw.length();
        boolean inParams = false;
        for (int i = 0; i < n; i++) {
            char c = raw.charAt(i);
            if (c == '/') {
                inParams = false;
                out.append(c);
            } else if (inParams) {
                continue;
            } else if (c == ';') {
                inParams = true;
            } else if (c == '%' && i + 2 < n && decode(raw.charAt(i + 1), raw.charAt(i + 2)) >= 0) {
                int b = decode(raw.charAt(i + 1), raw.charAt(i + 2));
                if (unreserved(b)) {
                    out.append((char) b);
                } else {
                    out.append('%').append(Character.toUpperCase(raw.charAt(i + 1)))
                            .append(Character.toUpperCase(raw.charAt(i + 2)));
                }
                i += 2;
            } else {
                out.append(c);
            }
        }
        String path = removeDotSegments(out);
        return path.isEmpty() ? "/" : path;
    }

    /** RFC 3986 §5.2.4 on a path: {@code .} segments go, {@code ..} removes the segment before it (never above the root). */
    static String removeDotSegments(CharSequence path) {
        String in = path.toString();
        if (!in.contains(".")) {
            return in;
        }
        boolean absolute = in.startsWith("/");
        String[] segments = in.split("/", -1);
        java.util.ArrayDeque<String> kept = new java.util.ArrayDeque<>(segments.length);
        boolean endsAsDirectory = false;
        for (int i = 0; i < segments.length; i++) {
            String seg = segments[i];
            boolean last = i == segments.length - 1;
            if (seg.equals(".") || seg.equals("..")) {
                if (seg.equals("..") && !kept.isEmpty()) {
                    kept.removeLast();
                }
                endsAsDirectory = last; // "/a/." and "/a/.." name a directory
            } else if (!(seg.isEmpty() && i == 0 && absolute)) {
                kept.addLast(seg);
                endsAsDirectory = false;
            }
        }
        StringBuilder out = new StringBuilder(in.length());
        for (String seg : kept) {
            if (out.length() > 0 || absolute) {
                out.append('/');
            }
            out.append(seg);
        }
        if (endsAsDirectory) {
            out.append('/');
        }
        return out.toString();
    }

    private static int decode(char hi, char lo) {
        int h = Character.digit(hi, 16);
        int l = Character.digit(lo, 16);
        return h < 0 || l < 0 ? -1 : h * 16 + l;
    }

    private static boolean unreserved(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
                || c == '_' || c == '~';
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
