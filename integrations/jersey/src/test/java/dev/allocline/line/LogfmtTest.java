package dev.allocline.line;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.internal.line.Logfmt;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** No value can break the line, add a key or hide a character. */
class LogfmtTest {

    /** The embedding, override and isolate controls: U+202A-U+202E and U+2066-U+2069. */
    static final String BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069";

    /** A minimal logfmt parser: what a log pipeline would do with the line. */
    static Map<String, String> parse(String line) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = line.indexOf(' ');
        if (i < 0) {
            return out;
        }
        i++;
        while (i < line.length()) {
            int eq = line.indexOf('=', i);
            if (eq < 0) {
                throw new AssertionError("pair without = at " + i + " in " + line);
            }
            String key = line.substring(i, eq);
            int j = eq + 1;
            StringBuilder v = new StringBuilder();
            if (j < line.length() && line.charAt(j) == '"') {
                j++;
                while (line.charAt(j) != '"') {
                    if (line.charAt(j) == '\\') {
                        j++;
                        char e = line.charAt(j);
                        if (e == 'u') {
                            v.append((char) Integer.parseInt(line.substring(j + 1, j + 5), 16));
                            j += 4;
                        } else {
                            v.append(e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e);
                        }
                    } else {
                        v.append(line.charAt(j));
                    }
                    j++;
                }
                j++;
            } else {
                while (j < line.length() && line.charAt(j) != ' ') {
                    v.append(line.charAt(j++));
                }
            }
            if (out.put(key, v.toString()) != null) {
                throw new AssertionError("duplicate key " + key + " in " + line);
            }
            i = j + 1;
        }
        return out;
    }

    static CanonicalLine lineWith(String method, String path) {
        return new CanonicalLine("0123456789abcdef0123456789abcdef", method, path, "/r/{id}", 200, true,
                Duration.ofNanos(12_345_678), 4096, Optional.empty(), 1, 8192, 3, Optional.empty(), Map.of());
    }

    @Test
    void theDurationIsKeptAsNanosecondsAndGivenAsADurationOnRequest() {
        CanonicalLine line = lineWith("GET", "/r/42");
        assertEquals(12_345_678L, line.durationNanos());
        assertEquals(Duration.ofNanos(12_345_678), line.duration());
        assertEquals(line, new CanonicalLine(line.requestId(), "GET", "/r/42", "/r/{id}", 200, true, 12_345_678L, 4096,
                Optional.empty(), 1, 8192, 3, Optional.empty(), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new CanonicalLine("r", "GET", "/", "", 200, true, -1L, 0,
                Optional.empty(), 1, 0, 1, Optional.empty(), Map.of()));
    }

    @Test
    void plainValuesAreBare() {
        String text = CanonicalLineFormat.logfmt(lineWith("GET", "/r/42"));
        assertEquals("canonical_api_line request_id=0123456789abcdef0123456789abcdef http_method=GET http_path=/r/42"
                + " http_route=/r/{id} status=200 response_written=true duration=12.345ms alloc_bytes=4096"
                + " alloc_threads=1 total_alloc_delta=8192 alloc_reads=3", text);
    }

    @Test
    void injectedPairsStayInsideOneValue() {
        String evil = "/x status=500 alloc_bytes=0 \"request_id=forged\"";
        Map<String, String> m = parse(CanonicalLineFormat.logfmt(lineWith("GET", evil)));
        assertEquals(evil, m.get("http_path"));
        assertEquals("200", m.get("status"));
        assertEquals("4096", m.get("alloc_bytes"));
    }

    @Test
    void lineBreaksAndControlCharactersAreEscaped() {
        String evil = "/a\r\ncanonical_api_line status=200\u0000\u001b[31m\u2028\u0085\\";
        String text = CanonicalLineFormat.logfmt(lineWith("GE\nT", evil));
        for (char c : text.toCharArray()) {
            assertTrue(c >= 0x20 && c != 0x7f && !(c >= 0x80 && c <= 0x9f) && c != '\u2028' && c != '\u2029',
                    () -> "raw control character in " + text);
        }
        Map<String, String> m = parse(text);
        assertEquals(evil, m.get("http_path"));
        assertEquals("GE\nT", m.get("http_method"));
    }

    @Test
    void unicodeIsKeptAndLoneSurrogatesEscaped() {
        assertEquals("\"/caf\u00e9/\ud83d\ude00\"", Logfmt.value("/caf\u00e9/\ud83d\ude00"));
        assertEquals("\"/\\ud83d/\"", Logfmt.value("/\ud83d/"));
    }

    /**
     * The embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069) reorder what a terminal or a
     * log viewer shows ("Trojan Source", CVE-2021-42574): quoted but raw, a value could make the rest of the line
     * read differently from what a parser sees. Each is written as an escape, so the line shows in logical order.
     */
    @Test
    void bidiControlsAreEscapedNotOnlyQuoted() {
        for (char c : BIDI_CONTROLS.toCharArray()) {
            String v = Logfmt.value("/a" + c + "b");
            assertEquals(String.format("\"/a\\u%04xb\"", (int) c), v, "U+" + Integer.toHexString(c));
        }
        String evil = "/admin\u202e\u2066 status=200\u2069\u2066";
        String text = CanonicalLineFormat.logfmt(lineWith("GET", evil));
        assertTrue(text.chars().noneMatch(c -> BIDI_CONTROLS.indexOf(c) >= 0), () -> "raw bidi control in " + text);
        assertEquals(evil, parse(text).get("http_path"), "the value still round-trips");
    }

    @Test
    void emptyValueIsQuoted() {
        assertEquals("\"\"", Logfmt.value(""));
    }

    @Test
    void hugeValuesAreCut() {
        String huge = "/" + "a".repeat(64 * 1024);
        String v = Logfmt.value(huge);
        assertTrue(v.length() < Logfmt.MAX_VALUE_CHARS + 32, "cut to the limit: " + v.length());
        assertTrue(v.endsWith("...[truncated]\""));
    }

    @Test
    void randomStringsNeverBreakTheLine() {
        Random r = new Random(42);
        for (int n = 0; n < 20_000; n++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(40);
            for (int i = 0; i < len; i++) {
                int pick = r.nextInt(7);
                char c = pick == 0 ? (char) r.nextInt(0x20)
                        : pick == 1 ? "\"\\= \n\r\t".charAt(r.nextInt(7))
                        : pick == 2 ? (char) (0xd800 + r.nextInt(0x800))
                        : pick == 3 ? (char) r.nextInt(0x10000)
                        : pick == 4 ? BIDI_CONTROLS.charAt(r.nextInt(BIDI_CONTROLS.length()))
                        : (char) (0x20 + r.nextInt(0x5f));
                sb.append(c);
            }
            String value = sb.toString();
            // The same hostile text as a path, a method and an application field's value.
            CanonicalLine line = withFields(lineWith(value, value), Map.of("team", value));
            String text = CanonicalLineFormat.logfmt(line);
            assertFalse(text.contains("\n") || text.contains("\r"), text);
            assertTrue(text.chars().noneMatch(ch -> BIDI_CONTROLS.indexOf(ch) >= 0), () -> "raw bidi control in " + text);
            Map<String, String> m = parse(text);
            assertEquals(CanonicalLineFormat.fields(line).keySet(), m.keySet());
            // Lone surrogates are escaped one by one; everything else round-trips exactly.
            assertEquals(value, m.get("http_path"));
            assertEquals(value, m.get("team"));
        }
    }

    static CanonicalLine withFields(CanonicalLine l, Map<String, Object> fields) {
        return new CanonicalLine(l.requestId(), l.httpMethod(), l.httpPath(), l.httpRoute(), l.status(),
                l.responseWritten(), l.duration(), l.allocatedBytes(), l.allocUnavailableReason(), l.allocThreads(),
                l.totalAllocDelta(), l.allocReads(), l.profileKey(), fields);
    }

    @Test
    void applicationFieldsFollowTheLibrarysAndKeepTheirTypes() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("rows", 12000);
        fields.put("ratio", 0.5);
        fields.put("cached", true);
        fields.put("team", "payments eu");
        String text = CanonicalLineFormat.logfmt(withFields(lineWith("GET", "/r/1"), fields));
        assertTrue(text.endsWith(" alloc_reads=3 rows=12000 ratio=0.5 cached=true team=\"payments eu\""), text);
        Map<String, Object> all = CanonicalLineFormat.fields(withFields(lineWith("GET", "/r/1"), fields));
        assertEquals(12000, all.get("rows"));
        assertEquals(true, all.get("cached"));
    }

    @Test
    void aValueCannotForgeAKey() {
        String forged = "x\" status=500 alloc_bytes=0\ncanonical_api_line request_id=evil";
        String text = CanonicalLineFormat.logfmt(withFields(lineWith("GET", "/r/1"), Map.of("note", forged)));
        assertFalse(text.contains("\n"), text);
        Map<String, String> m = parse(text);
        assertEquals(forged, m.get("note"));
        assertEquals("200", m.get("status"));
        assertEquals("4096", m.get("alloc_bytes"));
    }

    @Test
    void durationsAreGoStyle() {
        assertEquals("999ns", CanonicalLineFormat.goDuration(Duration.ofNanos(999)));
        assertEquals("1.000us", CanonicalLineFormat.goDuration(Duration.ofNanos(1000)));
        assertEquals("12.345ms", CanonicalLineFormat.goDuration(Duration.ofNanos(12_345_999)));
        assertEquals("2.050s", CanonicalLineFormat.goDuration(Duration.ofMillis(2050)));
    }

    @Test
    void exactlyTheDocumentedCharactersStayBare() {
        String bare = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-.:{}%+,~@*!();$&[]'";
        for (char c = 0; c < Character.MAX_VALUE; c++) {
            String v = dev.allocline.internal.line.Logfmt.value("a" + c);
            boolean quoted = v.startsWith("\"");
            assertEquals(bare.indexOf(c) < 0, quoted, "char " + (int) c + " rendered as " + v);
        }
    }
}
