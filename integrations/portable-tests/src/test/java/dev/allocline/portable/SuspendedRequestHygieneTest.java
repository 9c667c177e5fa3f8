package dev.allocline.portable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.AllocLine;
import dev.allocline.jaxrs.AllocLineFilter;
import dev.allocline.line.CanonicalLine;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.SeBootstrap;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.Application;
import jakarta.ws.rs.core.MediaType;
import java.lang.ref.WeakReference;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The portable twin of the Feature's {@code ThreadLocalHygieneTest}, on each runtime of the suite
 * (SeBootstrap, real HTTP): after its line, nothing of a request stays reachable from any thread it
 * touched, whether it completed on the request thread, was suspended and resumed from another thread,
 * returned a {@code CompletionStage}, or failed. Proved by collecting every request's accounting.
 */
class SuspendedRequestHygieneTest {

    static final List<WeakReference<Object>> ACCOUNTINGS = new CopyOnWriteArrayList<>();
    static final ExecutorService POOL = Executors.newFixedThreadPool(2);

    /** Runs after allocline's own pre-matching filter (it has the highest priority). */
    @PreMatching
    public static final class Remember implements ContainerRequestFilter {
        @Override
        public void filter(ContainerRequestContext ctx) {
            ACCOUNTINGS.add(new WeakReference<>(ctx.getProperty(AllocLine.REQUEST_PROPERTY)));
        }
    }

    @Path("/h")
    @Produces(MediaType.TEXT_PLAIN)
    public static final class Api {
        @GET
        @Path("sync")
        public String sync() {
            return "sync";
        }

        @GET
        @Path("resumed")
        public void resumed(@Suspended AsyncResponse r) {
            POOL.execute(() -> r.resume("resumed"));
        }

        @GET
        @Path("stage")
        public CompletionStage<String> stage() {
            return CompletableFuture.supplyAsync(() -> "stage", POOL);
        }

        @GET
        @Path("fails")
        public String fails() {
            throw new IllegalStateException("unmapped");
        }
    }

    @Test
    void noThreadKeepsARequestAfterItsLine() throws Exception {
        ConcurrentLinkedQueue<CanonicalLine> lines = new ConcurrentLinkedQueue<>();
        AllocLineFilter filter = AllocLineFilter.builder().defaultSink(false).sink(lines::add).build();
        Application app = new Application() {
            @Override
            public Set<Object> getSingletons() {
                return Set.of(filter, new Remember(), new Api());
            }
        };
        SeBootstrap.Instance instance = SeBootstrap.start(app, SeBootstrap.Configuration.builder().protocol("HTTP")
                .host("127.0.0.1").port(SeBootstrap.Configuration.FREE_PORT).rootPath("/").build())
                .toCompletableFuture().get(60, TimeUnit.SECONDS);
        try {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String base = instance.configuration().baseUri().toString().replaceAll("/$", "");
            int n = 0;
            // The last requests are suspended ones: before the fix their request threads kept them.
            for (String p : new String[] {"sync", "fails", "stage", "resumed", "sync", "stage", "resumed", "resumed",
                    "stage", "resumed", "stage"}) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/h/" + p))
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(p.equals("fails") ? 500 : 200, r.statusCode(), p);
                n++;
                awaitLines(lines, n);
            }
            assertEquals(n, ACCOUNTINGS.size());
            awaitCleared(ACCOUNTINGS);
        } finally {
            filter.close();
            instance.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    static void awaitLines(ConcurrentLinkedQueue<CanonicalLine> lines, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (lines.size() < n) {
            assertTrue(System.nanoTime() - deadline < 0, () -> "expected " + n + " lines, got " + lines);
            Thread.sleep(2);
        }
    }

    /** Collects until every reference is cleared, or fails naming how many are still reachable. */
    static void awaitCleared(List<WeakReference<Object>> refs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            System.gc();
            long live = refs.stream().filter(r -> r.get() != null).count();
            if (live == 0) {
                return;
            }
            assertTrue(System.nanoTime() - deadline < 0, live + " of " + refs.size()
                    + " request accountings are still reachable after their lines");
            Thread.sleep(20);
        }
    }
}
