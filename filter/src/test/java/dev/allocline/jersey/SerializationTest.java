package dev.allocline.jersey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.line.CanonicalLine;
import dev.allocline.testing.Allocate;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.LoopbackServer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.MessageBodyWriter;
import jakarta.ws.rs.ext.Provider;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.glassfish.jersey.jackson.JacksonFeature;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Jersey writes the entity after every response filter. The seed's incident was exactly there (a huge
 * indented JSON buffer), so the line must count the writing and be emitted after it.
 */
class SerializationTest {

    /** An entity whose writer allocates {@code bytes} while writing. */
    public static final class Heavy {
        final long bytes;

        Heavy(long bytes) {
            this.bytes = bytes;
        }
    }

    /** Allocates the entity's bytes inside {@code writeTo}, i.e. after the response filters. */
    @Provider
    @Produces(MediaType.TEXT_PLAIN)
    public static final class HeavyWriter implements MessageBodyWriter<Heavy> {
        @Override
        public boolean isWriteable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
            return type == Heavy.class;
        }

        @Override
        public void writeTo(Heavy heavy, Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType,
                            MultivaluedMap<String, Object> httpHeaders, OutputStream entityStream) throws java.io.IOException {
            Allocate.bytes(heavy.bytes);
            entityStream.write("written".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
    }

    @Path("/heavy")
    public static final class HeavyResource {
        @GET
        @Path("{bytes}")
        @Produces(MediaType.TEXT_PLAIN)
        public Heavy heavy(@PathParam("bytes") long bytes) {
            return new Heavy(bytes);
        }
    }

    static final LineCollector LINES = new LineCollector();
    static LoopbackServer server;

    @BeforeAll
    static void start() {
        server = LoopbackServer.start(Apps.withFeature(LINES, TestApi.class, HeavyResource.class, HeavyWriter.class,
                JacksonFeature.class));
        for (int i = 0; i < 50; i++) {
            server.get("/heavy/1000");
            server.get("/json/10");
            server.get("/stream/1");
        }
        LINES.drain(Duration.ofMillis(300));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static CanonicalLine lineFor(String path) {
        LINES.drain(Duration.ofMillis(20));
        HttpResponse<String> r = server.get(path);
        assertEquals(200, r.statusCode());
        return LINES.next();
    }

    @Test
    void messageBodyWriterAllocationsAreCounted() {
        long n = 16L * 1024 * 1024;
        CanonicalLine line = lineFor("/heavy/" + n);
        assertTrue(line.allocatedBytes() >= n, line::toString);
        assertTrue(line.allocatedBytes() <= n + AttributionTest.SLACK_BYTES, line::toString);
    }

    @Test
    void streamingOutputAllocationsAreCounted() {
        int chunks = 128; // 128 x 64 KiB = 8 MiB allocated while writing
        CanonicalLine line = lineFor("/stream/" + chunks);
        long n = chunks * 64L * 1024;
        assertTrue(line.allocatedBytes() >= n, line::toString);
        // Each flush also makes Grizzly allocate: real work of this request, measured ~7 KB per flush
        // on JDK 17 and ~25 KB on JDK 25.
        long perFlush = 40 * 1024;
        assertTrue(line.allocatedBytes() <= n + chunks * perFlush + AttributionTest.SLACK_BYTES, line::toString);
        assertTrue(line.responseWritten());
    }

    @Test
    void jacksonWritingALargeEntityIsCounted() {
        int rows = 50_000;
        CanonicalLine small = lineFor("/json/1");
        CanonicalLine line = lineFor("/json/" + rows);
        // The list itself is ~50k * 3 objects; writing it as JSON produces ~5 MB of text through
        // Jackson's buffers and Grizzly's: the total must exceed the text size.
        long jsonBytes = server.get("/json/" + rows).body().length();
        LINES.next();
        System.out.println("serialisation: json rows=" + rows + " text=" + jsonBytes + " alloc_bytes=" + line.allocatedBytes()
                + " (1 row: " + small.allocatedBytes() + ")");
        assertTrue(line.allocatedBytes() > jsonBytes, line::toString);
    }

    @Test
    void lineIsEmittedAfterTheEntityIsWritten() {
        // The writer allocates all its bytes inside writeTo, after every response filter ran; if the
        // line were emitted from a response filter these bytes would be missing.
        long n = 4L * 1024 * 1024;
        CanonicalLine line = lineFor("/heavy/" + n);
        assertTrue(line.allocatedBytes() >= n, line::toString);
        assertTrue(line.responseWritten(), "the line knows the response was written: " + line);
    }
}
