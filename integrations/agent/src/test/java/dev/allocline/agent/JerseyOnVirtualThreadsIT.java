package dev.allocline.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.allocline.AllocLine;
import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineFormat;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.MediaType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.glassfish.jersey.jdkhttp.JdkHttpServerFactory;
import org.glassfish.jersey.server.ManagedAsync;
import org.glassfish.jersey.server.ManagedAsyncExecutor;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.spi.ExecutorServiceProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Over real HTTP: Jersey on the JDK's HTTP server with a virtual thread per request, and
 * {@code @ManagedAsync} with Jersey's managed executor on virtual threads (on Grizzly: the JDK HTTP
 * server's Jersey container cannot suspend a request), 2 carriers, with the agent. The
 * lines must say what the same requests say on platform threads, within the documented slack.
 */
class JerseyOnVirtualThreadsIT {

    static final long MIB = 1L << 20;
    static final long SLACK = VirtualThreadCountersIT.SLACK;

    /** Allocates {@code mib} MiB, sleeping 1 ms (a park and, on a virtual thread, an unmount) after each. */
    @Path("/")
    @Produces(MediaType.TEXT_PLAIN)
    public static class Api {
        @GET
        @Path("work/{mib}")
        public String work(@PathParam("mib") int mib) throws InterruptedException {
            for (int i = 0; i < mib; i++) {
                Work.allocate(MIB);
                Thread.sleep(1);
            }
            return "ok " + Thread.currentThread().isVirtual() + " " + AllocLine.allocatedBytes().orElse(-1);
        }

        @GET
        @Path("async/{mib}")
        @ManagedAsync
        public void async(@PathParam("mib") int mib, @Suspended AsyncResponse response) throws InterruptedException {
            response.resume(work(mib));
        }
    }

    /** Jersey's {@code @ManagedAsync} executor, on virtual threads. */
    @ManagedAsyncExecutor
    public static class VirtualManagedAsync implements ExecutorServiceProvider {
        @Override
        public ExecutorService getExecutorService() {
            return Executors.newVirtualThreadPerTaskExecutor();
        }

        @Override
        public void dispose(ExecutorService executorService) {
            executorService.shutdown();
        }
    }

    static final class Lines implements dev.allocline.line.CanonicalLineSink {
        final Map<String, LinkedBlockingQueue<CanonicalLine>> byId = new ConcurrentHashMap<>();

        @Override
        public void accept(CanonicalLine line) {
            queue(line.requestId()).add(line);
        }

        LinkedBlockingQueue<CanonicalLine> queue(String id) {
            return byId.computeIfAbsent(id, k -> new LinkedBlockingQueue<>());
        }

        CanonicalLine await(String id) throws InterruptedException {
            CanonicalLine l = queue(id).poll(30, TimeUnit.SECONDS);
            if (l == null) {
                throw new AssertionError("no line for " + id);
            }
            return l;
        }
    }

    private final List<HttpServer> servers = new ArrayList<>();
    private final List<org.glassfish.grizzly.http.server.HttpServer> grizzlies = new ArrayList<>();
    private final List<ExecutorService> executors = new ArrayList<>();
    // HTTP/1.1: the default client asks for an h2c upgrade, which these servers do not all handle cleanly
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
        grizzlies.forEach(org.glassfish.grizzly.http.server.HttpServer::shutdownNow);
        executors.forEach(ExecutorService::shutdownNow);
    }

    private static ResourceConfig app(Lines lines) {
        ResourceConfig rc = new ResourceConfig();
        rc.register(AllocLineFeature.builder().defaultSink(false).requestIdHeader("X-Request-Id").sink(lines).build());
        rc.register(Api.class);
        rc.register(VirtualManagedAsync.class);
        return rc;
    }

    /** Grizzly, platform request threads; {@code @ManagedAsync} methods run on virtual threads. */
    private URI startGrizzly(Lines lines) {
        org.glassfish.grizzly.http.server.HttpServer server = org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpServerFactory
                .createHttpServer(URI.create("http://127.0.0.1:0/"), app(lines));
        grizzlies.add(server);
        return URI.create("http://127.0.0.1:" + server.getListener("grizzly").getPort() + "/");
    }

    private URI start(Lines lines, ExecutorService requestThreads) {
        ResourceConfig rc = app(lines);
        HttpServer server = JdkHttpServerFactory.createHttpServer(URI.create("http://127.0.0.1:0/"), rc, false);
        server.setExecutor(requestThreads);
        server.start();
        servers.add(server);
        executors.add(requestThreads);
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    private CompletableFuture<HttpResponse<String>> send(URI base, String path, String id) {
        HttpRequest req = HttpRequest.newBuilder(base.resolve(path)).header("X-Request-Id", id).GET().build();
        return client.sendAsync(req, HttpResponse.BodyHandlers.ofString());
    }

    /** Sends {@code count} requests of {@code path} at once beside {@code small} 1-KiB-ish ones; their lines. */
    private List<CanonicalLine> parallel(URI base, Lines lines, String path, int count, int small, String prefix) throws Exception {
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            all.add(send(base, path, prefix + "-big-" + i));
        }
        for (int i = 0; i < small; i++) {
            all.add(send(base, "work/0", prefix + "-small-" + i));
        }
        for (CompletableFuture<HttpResponse<String>> f : all) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
        }
        List<CanonicalLine> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(lines.await(prefix + "-big-" + i));
        }
        for (int i = 0; i < small; i++) {
            CanonicalLine l = lines.await(prefix + "-small-" + i);
            assertTrue(l.allocatedBytes() >= 0 && l.allocatedBytes() < SLACK, () -> CanonicalLineFormat.logfmt(l));
        }
        return out;
    }

    private static long median(List<CanonicalLine> lines) {
        return lines.stream().mapToLong(CanonicalLine::allocatedBytes).sorted().skip(lines.size() / 2).findFirst().orElseThrow();
    }

    @Test
    void requestsOnVirtualThreadsReadTheirBytesAsOnPlatformThreads() throws Exception {
        int mib = 8;
        Lines lines = new Lines();
        URI virtual = start(lines, Executors.newVirtualThreadPerTaskExecutor());
        URI platform = start(lines, Executors.newFixedThreadPool(8));
        parallel(virtual, lines, "work/1", 4, 0, "warm-v");
        parallel(platform, lines, "work/1", 4, 0, "warm-p");

        List<CanonicalLine> onVirtual = parallel(virtual, lines, "work/" + mib, 24, 100, "v");
        List<CanonicalLine> onPlatform = parallel(platform, lines, "work/" + mib, 8, 0, "p");
        long platformFigure = median(onPlatform);
        System.out.println("virtual thread line: " + CanonicalLineFormat.logfmt(onVirtual.get(0)));
        System.out.println("virtual: " + onVirtual.stream().map(CanonicalLine::allocatedBytes).toList()
                + " platform: " + onPlatform.stream().map(CanonicalLine::allocatedBytes).toList());
        for (CanonicalLine l : onVirtual) {
            assertEquals(Optional.empty(), l.allocUnavailableReason(), () -> CanonicalLineFormat.logfmt(l));
            assertTrue(l.allocatedBytes() >= mib * MIB && l.allocatedBytes() <= mib * MIB + SLACK,
                    () -> "within [N MiB, N MiB + slack]: " + CanonicalLineFormat.logfmt(l));
            assertTrue(Math.abs(l.allocatedBytes() - platformFigure) <= SLACK,
                    () -> "as on a platform thread (" + platformFigure + "): " + CanonicalLineFormat.logfmt(l));
        }
    }

    @Test
    void theApplicationReadsItsBytesSoFarOnAVirtualThread() throws Exception {
        Lines lines = new Lines();
        URI virtual = start(lines, Executors.newVirtualThreadPerTaskExecutor());
        parallel(virtual, lines, "work/1", 4, 0, "warm");
        HttpResponse<String> r = send(virtual, "work/2", "so-far").get(30, TimeUnit.SECONDS);
        String[] words = r.body().split(" ");
        assertEquals("true", words[1], "ran on a virtual thread");
        long soFar = Long.parseLong(words[2]);
        assertTrue(soFar >= 2 * MIB && soFar <= 2 * MIB + SLACK, r.body());
        assertTrue(lines.await("so-far").allocatedBytes() >= soFar);
    }

    @Test
    void managedAsyncOnAVirtualThreadExecutorIsCountedExactly() throws Exception {
        int mib = 4;
        Lines lines = new Lines();
        URI virtual = startGrizzly(lines);
        URI platform = start(lines, Executors.newFixedThreadPool(8));
        parallel(virtual, lines, "async/1", 2, 0, "warm-va");
        parallel(platform, lines, "work/1", 2, 0, "warm-pa");
        List<CanonicalLine> onVirtual = parallel(virtual, lines, "async/" + mib, 12, 40, "va");
        // the same method without @ManagedAsync, on platform request threads
        List<CanonicalLine> direct = parallel(platform, lines, "work/" + mib, 4, 0, "pa");
        long platformFigure = median(direct);
        System.out.println("managed async line: " + CanonicalLineFormat.logfmt(onVirtual.get(0)));
        for (CanonicalLine l : onVirtual) {
            assertEquals(Optional.empty(), l.allocUnavailableReason(), () -> CanonicalLineFormat.logfmt(l));
            assertTrue(l.allocatedBytes() >= mib * MIB && l.allocatedBytes() <= mib * MIB + SLACK,
                    () -> "within [N MiB, N MiB + slack]: " + CanonicalLineFormat.logfmt(l));
            assertTrue(Math.abs(l.allocatedBytes() - platformFigure) <= SLACK,
                    () -> "as on a platform thread (" + platformFigure + "): " + CanonicalLineFormat.logfmt(l));
        }
    }
}
