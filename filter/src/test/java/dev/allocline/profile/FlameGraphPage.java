package dev.allocline.profile;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the frame names out of an async-profiler HTML flame graph without a browser: the page keeps them
 * in a JavaScript array {@code cpool}, each entry after the first starting with one character that says
 * how many leading characters it shares with the entry before (its code minus 32), the page's own
 * {@code unpack} rule.
 */
final class FlameGraphPage {

    private FlameGraphPage() {
    }

    static List<String> frameNames(String page) {
        int start = page.indexOf("const cpool = [");
        if (start < 0) {
            throw new AssertionError("no cpool in the page");
        }
        int end = page.indexOf("];", start);
        List<String> raw = new ArrayList<>();
        String body = page.substring(start + "const cpool = [".length(), end);
        for (int i = 0; i < body.length(); i++) {
            if (body.charAt(i) != '\'') {
                continue;
            }
            StringBuilder sb = new StringBuilder();
            for (i++; body.charAt(i) != '\''; i++) {
                char c = body.charAt(i);
                sb.append(c == '\\' ? body.charAt(++i) : c);
            }
            raw.add(sb.toString());
        }
        List<String> names = new ArrayList<>();
        for (String r : raw) {
            names.add(names.isEmpty() ? r : names.get(names.size() - 1).substring(0, r.charAt(0) - 32) + r.substring(1));
        }
        return names;
    }
}
