package dev.allocline.jersey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.line.CanonicalLine;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.LoopbackServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every request gets exactly one line, whatever its outcome. */
class OneLinePerRequestTest {

    static final LineCollector LINES = new LineCollector();
    static LoopbackServer server;

    @BeforeAll
    static void start() {
        server = LoopbackServer.start(Apps.withFeature(LINES, TestApi.class, TestApi.ConflictMapper.class));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static CanonicalLine onlyLineFor(String path, int expectedStatus) {
        LINES.drain(Duration.ofMillis(50));
        int got = server.get(path).statusCode();
        assertEquals(expectedStatus, got, "HTTP status the client saw");
        List<CanonicalLine> lines = LINES.drain(Duration.ofMillis(500));
        assertEquals(1, lines.size(), () -> "lines for " + path + ": " + lines);
        return lines.get(0);
    }

    @Test
    void successfulRequestGetsOneLine() {
        CanonicalLine line = onlyLineFor("/hello", 200);
        assertEquals(200, line.status());
        assertEquals("GET", line.httpMethod());
        assertEquals("/hello", line.httpPath());
        assertEquals("/hello", line.httpRoute());
        assertTrue(line.responseWritten());
        assertTrue(line.allocatedBytes() > 0, "a request allocates something: " + line);
        assertEquals(32, line.requestId().length());
    }

    @Test
    void unmatchedPathGetsOneLineWithEmptyRoute() {
        CanonicalLine line = onlyLineFor("/no/such/thing", 404);
        assertEquals(404, line.status());
        assertEquals("", line.httpRoute());
        assertEquals("/no/such/thing", line.httpPath());
    }

    @Test
    void mappedExceptionGetsOneLine() {
        CanonicalLine line = onlyLineFor("/mapped", 409);
        assertEquals(409, line.status());
        assertEquals("/mapped", line.httpRoute());
    }

    @Test
    void webApplicationExceptionGetsOneLine() {
        assertEquals(418, onlyLineFor("/web-error", 418).status());
    }

    @Test
    void unmappedExceptionGetsOneLine() {
        CanonicalLine line = onlyLineFor("/unmapped", 500);
        assertEquals(500, line.status());
        assertEquals("/unmapped", line.httpRoute());
    }

    @Test
    void asyncTimeoutGetsOneLine() {
        CanonicalLine line = onlyLineFor("/timeout", 503);
        assertEquals(503, line.status());
        assertEquals("/timeout", line.httpRoute());
    }

    @Test
    void requestIdsAreUnique() {
        LINES.drain(Duration.ofMillis(50));
        for (int i = 0; i < 20; i++) {
            server.get("/hello");
        }
        List<CanonicalLine> lines = LINES.drain(Duration.ofMillis(500));
        assertEquals(20, lines.size());
        assertEquals(20, lines.stream().map(CanonicalLine::requestId).distinct().count());
    }

    @Test
    void clientDisconnectingMidResponseGetsOneLine() throws Exception {
        LINES.drain(Duration.ofMillis(50));
        // 4096 chunks of 64 KiB = 256 MiB: far more than socket buffers hold, so the server is
        // still writing when the client goes away.
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setReceiveBufferSize(4096);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /stream/4096 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[8192];
            int read = 0;
            while (read < 256 * 1024) {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                read += n;
            }
            socket.setSoLinger(true, 0); // reset, not a graceful close
        }
        List<CanonicalLine> lines = LINES.drain(Duration.ofSeconds(3));
        assertEquals(1, lines.size(), () -> "lines: " + lines);
        CanonicalLine line = lines.get(0);
        assertEquals("/stream/{chunks}", line.httpRoute());
        assertFalse(line.responseWritten(), "the write failed: " + line);
    }
}
