package dev.allocline.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpServerFactory;
import org.glassfish.jersey.server.ResourceConfig;

/** A real Jersey application on Grizzly, on 127.0.0.1 and a free port, with a real HTTP client. */
public final class LoopbackServer implements AutoCloseable {

    private final HttpServer server;
    private final URI base;
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1) // no h2c upgrade attempts against Grizzly
            .connectTimeout(Duration.ofSeconds(5)).build();

    private LoopbackServer(HttpServer server, URI base) {
        this.server = server;
        this.base = base;
    }

    public static LoopbackServer start(ResourceConfig config) {
        return start(config, "/");
    }

    /** The application served under {@code basePath} (e.g. {@code /api/}). */
    public static LoopbackServer start(ResourceConfig config, String basePath) {
        HttpServer server = GrizzlyHttpServerFactory.createHttpServer(URI.create("http://127.0.0.1:0" + basePath), config,
                false);
        // Grizzly closes a keep-alive connection after 256 requests by default; the JDK client then
        // races it ("header parser received no bytes"). Tests reuse connections, so lift the cap.
        server.getListener("grizzly").getKeepAlive().setMaxRequestsCount(-1);
        try {
            server.start();
        } catch (IOException e) {
            throw new IllegalStateException("could not start Grizzly on loopback", e);
        }
        int port = server.getListener("grizzly").getPort();
        return new LoopbackServer(server, URI.create("http://127.0.0.1:" + port));
    }

    public URI uri(String pathAndQuery) {
        return URI.create(base + pathAndQuery);
    }

    public int port() {
        return base.getPort();
    }

    public HttpResponse<String> get(String pathAndQuery) {
        return send(HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(30)).GET().build());
    }

    private static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong();

    /**
     * GETs {@code pathAndQuery} with a request id of its own in {@code X-Request-Id} (the test
     * applications trust it), checks the status, and returns that request's line: lines are paired
     * with requests by id, never by arrival order.
     */
    public dev.allocline.line.CanonicalLine lineFor(LineCollector lines, String pathAndQuery, int expectedStatus) {
        String id = "t-" + IDS.incrementAndGet();
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(30))
                .header("X-Request-Id", id).GET().build());
        if (r.statusCode() != expectedStatus) {
            throw new AssertionError("expected " + expectedStatus + " for " + pathAndQuery + ", got " + r.statusCode());
        }
        dev.allocline.line.CanonicalLine line = lines.awaitRequest(id);
        String path = pathAndQuery.split("\\?", 2)[0];
        if (!line.httpPath().equals(path)) {
            throw new AssertionError("request " + id + " was for " + path + " but its line says " + line.httpPath());
        }
        return line;
    }

    public HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("request failed: " + request.uri(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
