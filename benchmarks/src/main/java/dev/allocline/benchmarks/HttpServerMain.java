package dev.allocline.benchmarks;

import java.net.URI;
import java.util.concurrent.CountDownLatch;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpServerFactory;

/**
 * One hello-world server for the HTTP overhead run ({@code benchmarks/http-overhead.sh}): Grizzly on
 * 127.0.0.1, the variant's application (bare, allocline logging to a file, a peer), in a JVM of its own
 * so that one variant's garbage does not slow another. Runs until killed.
 * Usage: {@code HttpServerMain <variant> <port>}.
 */
public final class HttpServerMain {

    private HttpServerMain() {
    }

    public static void main(String[] args) throws Exception {
        InProcessApp.Variant variant = InProcessApp.Variant.valueOf(args[0]);
        int port = Integer.parseInt(args[1]);
        HttpServer server = GrizzlyHttpServerFactory.createHttpServer(URI.create("http://127.0.0.1:" + port + "/"),
                InProcessApp.config(variant, FilterOverheadBenchmark.Hello.class), false);
        server.getListener("grizzly").getKeepAlive().setMaxRequestsCount(-1);
        server.start();
        System.out.println("ready " + variant + " on " + port);
        new CountDownLatch(1).await();
    }
}
