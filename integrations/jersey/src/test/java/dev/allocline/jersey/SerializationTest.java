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
        return server.lineFor(LINES, path, 200);
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
        // The resource returns n references to one row (almost no allocation); Jackson builds each row's
        // 1000-character description while it writes. If the write were not counted, the line would
        // show a few KB instead of n descriptions.
        int rows = 5_000;
        long built = rows * (long) TestApi.GeneratedRow.DESCRIPTION_CHARS;
        CanonicalLine line = lineFor("/json-generated/" + rows);
        long text = server.get("/json-generated/" + rows).body().length();
        System.out.println("serialisation: json rows=" + rows + " descriptions=" + built + " text=" + text
                + " alloc_bytes=" + line.allocatedBytes());
        assertTrue(line.allocatedBytes() >= built, line::toString);
        // Above the descriptions: their String headers (~40 B a row), Jackson's and Grizzly's buffers
        // (at most one copy of the text) and the request's fixed cost.
        assertTrue(line.allocatedBytes() <= built + rows * 64L + text + AttributionTest.SLACK_BYTES,
                () -> "at most the descriptions, one copy of the text and the slack: " + line);
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
