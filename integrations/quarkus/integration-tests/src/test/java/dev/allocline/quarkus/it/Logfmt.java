package dev.allocline.quarkus.it;

import java.util.LinkedHashMap;
import java.util.Map;

/** Reads {@code key=value key="quoted \"value\""} as allocline writes it (test side only). */
final class Logfmt {

    private Logfmt() {
    }

    static Map<String, String> parse(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        int n = text.length();
        while (i < n) {
            while (i < n && text.charAt(i) == ' ') {
                i++;
            }
            int eq = text.indexOf('=', i);
            if (eq < 0) {
                break;
            }
            String key = text.substring(i, eq);
            i = eq + 1;
            StringBuilder v = new StringBuilder();
            if (i < n && text.charAt(i) == '"') {
                i++;
                while (i < n && text.charAt(i) != '"') {
                    char c = text.charAt(i++);
                    if (c == '\\' && i < n) {
                        c = text.charAt(i++);
                    }
                    v.append(c);
                }
                i++;
            } else {
                while (i < n && text.charAt(i) != ' ') {
                    v.append(text.charAt(i++));
                }
            }
            out.put(key, v.toString());
        }
        return out;
    }
}
