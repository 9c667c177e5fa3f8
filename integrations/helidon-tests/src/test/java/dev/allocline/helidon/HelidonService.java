package dev.allocline.helidon;

import io.helidon.microprofile.server.Server;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The Helidon MP service in this JVM, on an ephemeral loopback port: its applications are the ones CDI discovers
 * ({@link ServiceApplication}), as {@code Server.create()} and {@code io.helidon.Main} start them. One per JVM: Helidon's
 * CDI container belongs to the JVM.
 */
final class HelidonService implements AutoCloseable {

    private final Server server;
    private final URI base;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private HelidonService(Server server) {
        this.server = server;
        this.base = URI.create("http://127.0.0.1:" + server.port() + "/");
    }

    static HelidonService start() {
        return new HelidonService(Server.builder().host("127.0.0.1").port(0).build().start());
    }

    /** {@code GET path} with request id {@code id}. */
    CompletableFuture<HttpResponse<String>> get(String path, String id) {
        return client.sendAsync(HttpRequest.newBuilder(base.resolve(path)).header("X-Request-Id", id)
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() {
        server.stop();
    }
}
