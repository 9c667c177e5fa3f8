package dev.allocline.quarkus.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.QuarkusUnitTest;
import io.quarkus.test.common.http.TestHTTPResource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Requests Vert.x's HTTP/1.1 decoder refuses before any route runs (a header block over
 * {@code quarkus.http.limits.max-header-size}, a request line over {@code max-initial-line-length}, a line that is
 * not HTTP) are answered by Vert.x itself and closed: no route filter sees them, so they get no line. Documented as a
 * limit (docs/quarkus.md); this pins it, over a raw socket on loopback.
 */
class RefusedBeforeRoutingTest {

    @RegisterExtension
    static final QuarkusUnitTest APP = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(CapturedLines.class, CapturedLines.Captured.class,
                    Allocating.class, Allocating.Allocation.class, Allocating.Conflict.class,
                    Allocating.ConflictMapper.class, Allocating.AllocationWriter.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.allocline.request-id-header", "X-Request-Id");

    static final CapturedLines LINES = CapturedLines.attach();

    @TestHTTPResource("/")
    URI base;

    @Test
    void requestsVertxRefusesBeforeRoutingGetNoLine() throws Exception {
        String tooManyHeaderBytes = "GET /alloc/worker/0 HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: header-too-large\r\n"
                + "X-Padding: " + "a".repeat(32 * 1024) + "\r\n\r\n"; // Quarkus' max-header-size is 20K
        assertEquals(431, statusOf(tooManyHeaderBytes), "Vert.x: Request Header Fields Too Large");
        String tooLongLine = "GET /alloc/worker/0?q=" + "a".repeat(8 * 1024) + " HTTP/1.1\r\nHost: localhost\r\n"
                + "X-Request-Id: line-too-long\r\n\r\n"; // max-initial-line-length is 4096
        assertEquals(414, statusOf(tooLongLine), "Vert.x: URI Too Long");
        String notHttp = "GET /alloc/worker/0 HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: malformed\r\n"
                + "this line is not a header\r\n\r\n";
        assertEquals(400, statusOf(notHttp), "Vert.x: Bad Request");

        // A well-formed request after them gets its line; by then any line of the refused ones would be written too.
        assertEquals(200, statusOf("GET /alloc/worker/0 HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: well-formed\r\n"
                + "Connection: close\r\n\r\n"));
        LINES.await(l -> l.requestId().equals("well-formed"));
        assertEquals(1, LINES.all(l -> true).size(), "only the well-formed request has a line: "
                + LINES.all(l -> true).stream().map(CapturedLines.Captured::text).collect(Collectors.toList()));
    }

    /** Sends {@code request} as is and returns the status of the answer, read until the server closes. */
    int statusOf(String request) throws IOException {
        try (Socket s = new Socket(base.getHost(), base.getPort())) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1 && b != '\n') {
                head.write(b);
            }
            String statusLine = head.toString(StandardCharsets.ISO_8859_1);
            assertTrue(statusLine.startsWith("HTTP/1."), "a status line: " + statusLine); // 1.0 when the line was not read
            return Integer.parseInt(statusLine.substring(9, 12));
        }
    }
}
