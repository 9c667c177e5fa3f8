package dev.allocline.portable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.AllocLine;
import dev.allocline.jaxrs.AllocLineFilter;
import dev.allocline.line.CanonicalLine;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.SeBootstrap;
import jakarta.ws.rs.core.Application;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jboss.resteasy.spi.AsyncResponseProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * RESTEasy completes result types registered through its own SPI ({@code AsyncResponseProvider}: how Mutiny's
 * {@code Uni}, RxJava's {@code Single} or Reactor's {@code Mono} reach it) after the method returned. The
 * filter sees no method return; it must still recognise such a method (asking RESTEasy's registry), so that
 * the request keeps its one line with the real status when it completes, seconds later, while its worker
 * serves other requests, and the worker's later work is never charged to it. RESTEasy execution only.
 */
class ResteasyAsyncTypesTest {

    static final long SLACK = 256L << 10;
    static final ConcurrentLinkedQueue<CanonicalLine> LINES = new ConcurrentLinkedQueue<>();
    static final Map<String, CompletableFuture<String>> PENDING = new ConcurrentHashMap<>();
    static volatile Object sink;
    static SeBootstrap.Instance instance;
    static AllocLineFilter filter;
    static String base;
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** An application's own asynchronous result: not a stage, not a publisher; only RESTEasy knows it. */
    public static final class Later<T> {
        final CompletableFuture<T> value;

        Later(CompletableFuture<T> value) {
            this.value = value;
        }
    }

    /** Shaped as RESTEasy's own providers for Mutiny's {@code Uni} and RxJava's {@code Single} are. */
    @Provider
    public static final class LaterProvider implements AsyncResponseProvider<Later<?>> {
        @Override
        public CompletionStage<?> toCompletionStage(Later<?> later) {
            return later.value;
        }
    }

    @Path("/r")
    @Produces(MediaType.TEXT_PLAIN)
    public static final class Api {
        @GET
        @Path("later/{id}")
        public Later<String> later(@PathParam("id") String id) {
            CompletableFuture<String> f = new CompletableFuture<>();
            PENDING.put(id, f);
            return new Later<>(f);
        }

        @GET
        @Path("plain")
        public String plain() {
            for (int i = 0; i < 4; i++) {
                sink = new byte[1 << 20];
            }
            return "plain " + AllocLine.requestId().orElse("none");
        }
    }

    @BeforeAll
    static void start() throws Exception {
        filter = AllocLineFilter.builder().defaultSink(false).requestIdHeader("X-Request-Id").sink(LINES::add).build();
        Application app = new Application() {
            @Override
            public Set<Object> getSingletons() {
                return Set.of(filter, new Api(), new LaterProvider());
            }
        };
        instance = SeBootstrap.start(app, SeBootstrap.Configuration.builder().protocol("HTTP").host("127.0.0.1")
                .port(SeBootstrap.Configuration.FREE_PORT).rootPath("/api").build())
                .toCompletableFuture().get(60, TimeUnit.SECONDS);
        String b = instance.configuration().baseUri().toString();
        base = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
        for (int i = 0; i < 50; i++) {
            send("/r/plain", "warm-" + i).get(30, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        filter.close();
        instance.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    static CompletableFuture<HttpResponse<String>> send(String path, String id) {
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base + path)).header("X-Request-Id", id)
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static List<CanonicalLine> linesOf(String id) {
        return LINES.stream().filter(l -> l.requestId().equals(id)).collect(Collectors.toList());
    }

    static CanonicalLine awaitLine(String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (linesOf(id).isEmpty()) {
            assertTrue(System.nanoTime() - deadline < 0, "no line for " + id);
            Thread.sleep(2);
        }
        List<CanonicalLine> lines = linesOf(id);
        assertEquals(1, lines.size(), () -> "one line per request: " + lines);
        return lines.get(0);
    }

    @Test
    void aResultTypeRegisteredWithRESTEasysAsyncResponseProviderKeepsItsOneLineWithTheRealStatus() throws Exception {
        String a = "later-1";
        CompletableFuture<HttpResponse<String>> response = send("/r/later/" + a, a);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!PENDING.containsKey(a)) {
            assertTrue(System.nanoTime() - deadline < 0, "the request never reached its method");
            Thread.sleep(2);
        }
        // Meanwhile the workers serve other requests, each allocating 4 MiB in its method.
        for (int i = 0; i < 20; i++) {
            String id = "busy-" + i;
            assertEquals(200, send("/r/plain", id).get(30, TimeUnit.SECONDS).statusCode());
        }
        assertTrue(linesOf(a).isEmpty(), () -> "a premature line for the pending request: " + linesOf(a));
        PENDING.remove(a).complete("done");
        HttpResponse<String> r = response.get(30, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode());
        assertEquals("done", r.body());
        CanonicalLine line = awaitLine(a);
        assertEquals(200, line.status(), line::toString);
        assertTrue(line.responseWritten(), line::toString);
        assertTrue(line.allocatedBytes() >= 0 && line.allocatedBytes() <= SLACK,
                () -> "a pending request was charged its worker's other work: " + line);
        assertFalse(line.allocUnavailableReason().isPresent(), line::toString);
    }
}
