package dev.allocline.internal.line;

/**
 * logfmt rendering that no client can forge.
 *
 * <p>Values that come from the request (path, method, route) are attacker-controlled. A bare value is
 * only written when it consists of characters that cannot end a value or start a new pair; anything
 * else is double-quoted with {@code \"} and {@code \\} escaped and every control character, line
 * separator, bidirectional embedding, override or isolate control and lone surrogate written as
 * {@code \\uXXXX}. So a value can never contain a line break, a raw quote, or a space outside quotes, and a
 * parser sees exactly the keys the library wrote; nor can it make a terminal or log viewer show the line
 * in another order than a parser reads it (quotes alone do not stop that: a right-to-left override inside
 * them reorders what follows on screen, "Trojan Source", CVE-2021-42574). Values
 * longer than {@link #MAX_VALUE_CHARS} are cut and marked, so a 64 KB path cannot flood the log.
 */
public final class Logfmt {

    /** Longest value rendered before it is cut (counted in UTF-16 chars of the input). */
    public static final int MAX_VALUE_CHARS = 2048;

    private static final String TRUNCATED = "...[truncated]";
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Logfmt() {
    }

    /** Appends {@code value} as a logfmt value, quoting and escaping as needed. */
    public static void appendValue(StringBuilder out, String value) {
        int n = value.length();
        if (n > 0 && n <= MAX_VALUE_CHARS && isBare(value)) {
            out.append(value);
            return;
        }
        out.append('"');
        int limit = Math.min(n, MAX_VALUE_CHARS);
        for (int i = 0; i < limit; i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                default:
                    if (needsUnicodeEscape(value, i, c)) {
                        appendUnicodeEscape(out, c);
                    } else {
                        out.append(c);
                        if (Character.isHighSurrogate(c)) {
                            out.append(value.charAt(++i));
                        }
                    }
            }
        }
        if (n > limit) {
            out.append(TRUNCATED);
        }
        out.append('"');
    }

    /** {@code value} rendered as a logfmt value on its own. */
    public static String value(String value) {
        StringBuilder sb = new StringBuilder(value.length() + 2);
        appendValue(sb, value);
        return sb.toString();
    }

    /** The ASCII characters a bare value may hold: none can end a value, start a pair or break a line. */
    private static final boolean[] BARE = new boolean[128];

    static {
        for (char c = 'a'; c <= 'z'; c++) {
            BARE[c] = true;
        }
        for (char c = 'A'; c <= 'Z'; c++) {
            BARE[c] = true;
        }
        for (char c = '0'; c <= '9'; c++) {
            BARE[c] = true;
        }
        for (char c : "/_-.:{}%+,~@*!();$&[]'".toCharArray()) {
            BARE[c] = true;
        }
    }

    private static boolean isBare(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 128 || !BARE[c]) {
                return false;
            }
        }
        return true;
    }

    private static boolean needsUnicodeEscape(String s, int i, char c) {
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029' || c == '\ufeff') {
            return true;
        }
        if ((c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')) {
            return true; // LRE RLE PDF LRO RLO, LRI RLI FSI PDI: they reorder what is shown after them
        }
        if (Character.isHighSurrogate(c)) {
            return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1)) || i + 1 >= MAX_VALUE_CHARS;
        }
        return Character.isLowSurrogate(c);
    }

    private static void appendUnicodeEscape(StringBuilder out, char c) {
        out.append("\\u").append(HEX[(c >> 12) & 0xf]).append(HEX[(c >> 8) & 0xf])
                .append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
    }
}
