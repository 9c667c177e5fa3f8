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

    /** One drawn frame: its name, depth and extent (in the graph's unit: bytes with {@code --total}). */
    record Frame(String name, int level, long left, long width) {
    }

    /**
     * The frames as the page draws them: after {@code unpack(cpool);} each line is {@code f(key, level, left,
     * width)}, {@code u(key, width)} (a child at the same left) or {@code n(key, width)} (the next sibling),
     * with the name at {@code cpool[key >>> 3]} and an omitted width meaning the previous one.
     */
    static List<Frame> frames(String page) {
        List<String> names = frameNames(page);
        int from = page.indexOf("unpack(cpool);");
        List<Frame> frames = new ArrayList<>();
        int level = 0;
        long left = 0;
        long width = 0;
        for (String line : page.substring(from).split("\n")) {
            if (line.length() < 4 || "fun".indexOf(line.charAt(0)) < 0 || line.charAt(1) != '(' || !line.endsWith(")")) {
                continue;
            }
            String[] a = line.substring(2, line.length() - 1).split(",");
            int key = Integer.parseInt(a[0].trim());
            long w;
            switch (line.charAt(0)) {
                case 'f' -> {
                    level = Integer.parseInt(a[1].trim());
                    left += Long.parseLong(a[2].trim());
                    w = a.length > 3 ? Long.parseLong(a[3].trim()) : 0;
                }
                case 'u' -> {
                    level++;
                    w = a.length > 1 ? Long.parseLong(a[1].trim()) : 0;
                }
                default -> {
                    left += width;
                    w = a.length > 1 ? Long.parseLong(a[1].trim()) : 0;
                }
            }
            width = w != 0 ? w : width;
            frames.add(new Frame(names.get(key >>> 3), level, left, width));
        }
        return frames;
    }
}
