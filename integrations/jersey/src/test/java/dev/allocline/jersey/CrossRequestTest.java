package dev.allocline.jersey;

import dev.allocline.AllocLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.line.CanonicalLine;
import dev.allocline.testing.Allocate;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.LoopbackServer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.MessageBodyWriter;
import jakarta.ws.rs.ext.Provider;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One thread can work for two requests, one paused under the other. Request A's wrapped task on pool
 * thread P resumes request B's {@code AsyncResponse}, so B's entity (large) is written on P while A
 * finishes on its own thread: A must not be charged B's bytes.
 */
class CrossRequestTest {

    static final long B_BYTES = 32L << 20;
    static final ExecutorService POOL = Executors.newSingleThreadExecutor();
    static final CompletableFuture<AsyncResponse> B = new CompletableFuture<>();
    static final CountDownLatch B_WRITING = new CountDownLatch(1);
    static final CountDownLatch A_LOGGED = new CountDownLatch(1);

    /** B's entity: allocated while it is written, then held until A's line is out. */
    public static final class BigEntity {
    }

    @Provider
    @Produces(MediaType.TEXT_PLAIN)
    public static final class BigWriter implements MessageBodyWriter<BigEntity> {
        @Override
        public boolean isWriteable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
            return type == BigEntity.class;
        }

        @Override
        public void writeTo(BigEntity e, Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType,
                            MultivaluedMap<String, Object> httpHeaders, OutputStream out) throws java.io.IOException {
            Allocate.bytes(B_BYTES);
            B_WRITING.countDown();
            try {
                A_LOGGED.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            out.write("b".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
    }

    @Path("/cross")
    @Produces(MediaType.TEXT_PLAIN)
    public static final class Cross {
        @GET
        @Path("b")
        public void b(@Suspended AsyncResponse response) {
            B.complete(response);
        }

        @GET
        @Path("a")
        public String a() throws Exception {
            AsyncResponse b = B.get(10, TimeUnit.SECONDS);
            AllocLine.wrap(POOL).execute(() -> b.resume(new BigEntity()));
            assertTrue(B_WRITING.await(10, TimeUnit.SECONDS));
            return "a";
        }
    }

    @Test
    void aPausedSegmentIsNeverReadFromAnotherThread() throws Exception {
        LineCollector lines = new LineCollector();
        try (LoopbackServer server = LoopbackServer.start(Apps.withFeature(lines, Cross.class, BigWriter.class))) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            CompletableFuture<HttpResponse<String>> b = client.sendAsync(
                    HttpRequest.newBuilder(server.uri("/cross/b")).build(), HttpResponse.BodyHandlers.ofString());
            B.get(10, TimeUnit.SECONDS);
            assertEquals(200, server.get("/cross/a").statusCode());
            CanonicalLine a = lines.next();
            A_LOGGED.countDown();
            assertEquals("/cross/a", a.httpPath());
            assertEquals(200, b.get(30, TimeUnit.SECONDS).statusCode());
            CanonicalLine bLine = lines.next();
            assertEquals("/cross/b", bLine.httpPath());
            System.out.println("cross: a=" + a.allocatedBytes() + " b=" + bLine.allocatedBytes());
            assertTrue(a.allocatedBytes() < 1L << 20, () -> "A was charged B's bytes: " + a);
            assertTrue(bLine.allocatedBytes() >= B_BYTES, () -> "B lost its own bytes: " + bLine);
        } finally {
            POOL.shutdownNow();
        }
    }
}
