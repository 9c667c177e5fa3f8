package dev.allocline.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineFormat;
import dev.allocline.line.Log4j2Sink;
import dev.allocline.testing.CapturedLog;
import dev.allocline.testing.InProcess;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.LoopbackServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.layout.template.json.JsonTemplateLayout;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Test;

/**
 * Requests built to forge log lines, sent over a real socket and in-process (where nothing in front
 * of Jersey cleans them up first). Every resulting line stays one line, carries only the library's
 * keys, and renders as valid JSON.
 */
class HostileInputTest {

    static final Set<String> KEYS = Set.of("request_id", "http_method", "http_path", "http_route", "status",
            "response_written", "duration", "alloc_bytes", "alloc_unavailable", "alloc_threads", "total_alloc_delta",
            "alloc_reads", "profile_key");

    static final List<String> PATHS = List.of(
            "/load/small/a%0d%0acanonical_api_line%20status=200",
            "/load/small/x%20status=500%20alloc_bytes=0",
            "/load/small/%22quoted%22%5C%5Cback",
            "/load/small/nul%00bell%07esc%1b%5B31m",
            "/load/small/%C3%28%FF%FEinvalid-utf8",
            "/load/small/caf%C3%A9-%F0%9F%98%80-%E2%80%A8sep",
            // U+202E and U+2066/U+2069 (right-to-left override, isolates): reorder what a log viewer shows
            "/load/small/%E2%80%AEnimda%E2%81%A6%20status=200%E2%81%A9",
            "/load/small/" + "a".repeat(60_000),
            "/load/small/key=value&other=%3D%3D",
            "/nope/%0a%0d%09\\\"");

    private static void assertSafe(CanonicalLine line) throws Exception {
        String text = CanonicalLineFormat.logfmt(line);
        assertFalse(text.contains("\n") || text.contains("\r"), "one line: " + text);
        for (char c : text.toCharArray()) {
            assertTrue(c >= 0x20 && c != 0x7f, () -> "control character in " + text);
            assertFalse((c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069'),
                    () -> "raw bidi control character in " + text);
        }
        assertEquals(KEYS, union(KEYS, parseKeys(text)), () -> "only the library's keys: " + text);

        try (CapturedLog log = CapturedLog.of(Log4j2Sink.DEFAULT_LOGGER)) {
            new Log4j2Sink().accept(line);
            LogEvent e = log.events().get(0);
            JsonTemplateLayout layout = JsonTemplateLayout.newBuilder()
                    .setConfiguration(((LoggerContext) LogManager.getContext(false)).getConfiguration())
                    .setEventTemplate("{\"message\":{\"$resolver\":\"message\",\"stringified\":true},"
                            + "\"fields\":{\"$resolver\":\"message\"}}")
                    .build();
            String json = layout.toSerializable(e);
            assertEquals(1, json.strip().split("\n").length, "one JSON line");
            JsonNode node = new ObjectMapper().readTree(json);
            assertEquals(line.httpPath(), node.get("fields").get("http_path").asText(), "the JSON carries the exact path");
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new java.util.HashSet<>(a);
        u.addAll(b);
        return u;
    }

    /** The keys a logfmt parser finds (quoted values skipped with their escapes). */
    static Set<String> parseKeys(String line) {
        Set<String> keys = new java.util.HashSet<>();
        int i = line.indexOf(' ') + 1;
        while (i > 0 && i < line.length()) {
            int eq = line.indexOf('=', i);
            keys.add(line.substring(i, eq));
            int j = eq + 1;
            if (line.charAt(j) == '"') {
                j++;
                while (line.charAt(j) != '"') {
                    j += line.charAt(j) == '\\' ? 2 : 1;
                }
                j++;
            } else {
                while (j < line.length() && line.charAt(j) != ' ') {
                    j++;
                }
            }
            i = j + 1;
        }
        return keys;
    }

    @Test
    void hostilePathsOverRealHttpStayInTheirField() throws Exception {
        LineCollector lines = new LineCollector();
        ResourceConfig rc = new ResourceConfig(LoadApi.class).register(AllocLineFeature.builder().defaultSink(false).sink(lines).build());
        try (LoopbackServer server = LoopbackServer.start(rc)) {
            int answered = 0;
            int byJersey = 0;
            List<String> requests = new java.util.ArrayList<>();
            for (String path : PATHS) {
                requests.add("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "X-Request-Id: forged\r\nUser-Agent: evil\" status=200\r\nConnection: close\r\n\r\n");
            }
            // Methods are client input too.
            requests.add("G\"ET /load/small/m HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            for (String request : requests) {
                String status = raw(server.port(), request);
                assertTrue(status.startsWith("HTTP/1.1 "), status);
                answered++;
                // Grizzly answers 400 itself to what it cannot parse, and Jersey's Grizzly container answers
                // 500 itself when it cannot build a URI from the raw path (the \" path), before Jersey runs;
                // every other answer came from Jersey.
                if (!status.startsWith("HTTP/1.1 400") && !status.startsWith("HTTP/1.1 500")) {
                    byJersey++;
                }
            }
            int expected = byJersey;
            List<CanonicalLine> got = lines.drain(Duration.ofSeconds(1));
            System.out.println("hostile over HTTP: " + answered + " sent, " + expected + " reached Jersey, "
                    + got.size() + " lines");
            assertTrue(expected >= PATHS.size() - 2, "most hostile requests reach Jersey: " + expected);
            assertEquals(expected, got.size(), "one line per request that reached Jersey");
            for (CanonicalLine l : got) {
                assertSafe(l);
                assertFalse(l.requestId().equals("forged"), "request ids are never taken from the client");
            }
        }
    }

    @Test
    void hostileMethodsAndPathsInProcessStayInTheirField() throws Exception {
        LineCollector lines = new LineCollector();
        InProcess app = new InProcess(new ResourceConfig(LoadApi.class)
                .register(AllocLineFeature.builder().defaultSink(false).sink(lines).build()));
        List<String> methods = List.of("GET", "GE\nT", "X status=1", "\u0000", "P\"O\\ST", "\u2028", "\u202eTEG");
        int n = 0;
        for (String m : methods) {
            for (String p : PATHS) {
                app.send(m, uriSafe(p)); // java.net.URI cannot hold a raw quote or backslash; HTTP test sends them raw
                n++;
            }
        }
        List<CanonicalLine> got = lines.drain(Duration.ofMillis(500));
        assertEquals(n, got.size(), "one line per request, hostile or not");
        List<String> seenMethods = new ArrayList<>();
        for (CanonicalLine l : got) {
            assertSafe(l);
            seenMethods.add(l.httpMethod());
        }
        assertTrue(seenMethods.contains("GE\nT"), "the method reached the line verbatim and was escaped");
    }

    private static String uriSafe(String path) {
        return path.replace("\\", "%5C").replace("\"", "%22");
    }

    private static String raw(int port, String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            byte[] b = new byte[4096];
            int r;
            while ((r = in.read(b)) >= 0 && buf.size() < 1 << 20) {
                buf.write(b, 0, r);
            }
            String resp = buf.toString(StandardCharsets.ISO_8859_1);
            int eol = resp.indexOf("\r\n");
            return eol < 0 ? resp : resp.substring(0, eol);
        }
    }
}
