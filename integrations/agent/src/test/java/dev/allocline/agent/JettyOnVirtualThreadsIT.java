package dev.allocline.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineFormat;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.glassfish.jersey.jetty.JettyHttpContainerFactory;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Jersey on Jetty 12 with Jetty's own virtual-thread support ({@code QueuedThreadPool.setVirtualThreadsExecutor}:
 * blocking handlers, Jersey's among them, run on virtual threads), 2 carriers, with the agent, over real
 * HTTP: each request's line is exact within the documented slack, beside many small ones.
 */
class JettyOnVirtualThreadsIT {

    static final long MIB = JerseyOnVirtualThreadsIT.MIB;
    static final long SLACK = JerseyOnVirtualThreadsIT.SLACK;

    private Server server;
    private ExecutorService virtualThreads;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
        if (virtualThreads != null) {
            virtualThreads.shutdownNow();
        }
    }

    private URI start(JerseyOnVirtualThreadsIT.Lines lines) throws Exception {
        ResourceConfig rc = new ResourceConfig();
        rc.register(AllocLineFeature.builder().defaultSink(false).requestIdHeader("X-Request-Id").sink(lines).build());
        rc.register(JerseyOnVirtualThreadsIT.Api.class);
        server = JettyHttpContainerFactory.createServer(URI.create("http://127.0.0.1:0/"), rc, false);
        virtualThreads = Executors.newVirtualThreadPerTaskExecutor();
        ((QueuedThreadPool) server.getThreadPool()).setVirtualThreadsExecutor(virtualThreads);
        server.start();
        int port = ((NetworkConnector) server.getConnectors()[0]).getLocalPort();
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    private CompletableFuture<HttpResponse<String>> send(URI base, String path, String id) {
        return client.sendAsync(HttpRequest.newBuilder(base.resolve(path)).header("X-Request-Id", id).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void requestsOnJettysVirtualThreadsAreExact() throws Exception {
        int mib = 8;
        JerseyOnVirtualThreadsIT.Lines lines = new JerseyOnVirtualThreadsIT.Lines();
        URI base = start(lines);
        for (int i = 0; i < 4; i++) {
            send(base, "work/1", "warm-" + i).get(30, TimeUnit.SECONDS);
        }
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            calls.add(send(base, "work/" + mib, "big-" + i));
        }
        for (int i = 0; i < 60; i++) {
            calls.add(send(base, "work/0", "small-" + i));
        }
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            HttpResponse<String> r = c.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().startsWith("ok true "), "ran on a virtual thread: " + r.body());
        }
        for (int i = 0; i < 16; i++) {
            CanonicalLine l = lines.await("big-" + i);
            assertEquals(Optional.empty(), l.allocUnavailableReason(), () -> CanonicalLineFormat.logfmt(l));
            assertTrue(l.allocatedBytes() >= mib * MIB && l.allocatedBytes() <= mib * MIB + SLACK,
                    () -> "within [N MiB, N MiB + slack]: " + CanonicalLineFormat.logfmt(l));
        }
        for (int i = 0; i < 60; i++) {
            CanonicalLine l = lines.await("small-" + i);
            assertTrue(l.allocatedBytes() >= 0 && l.allocatedBytes() < SLACK, () -> CanonicalLineFormat.logfmt(l));
        }
    }
}
