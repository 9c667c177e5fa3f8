package dev.allocline.benchmarks;

import java.net.URI;
import dev.allocline.example.ClustersResource;
import dev.allocline.example.Database;
import dev.allocline.example.ExampleConfig;
import java.util.concurrent.CountDownLatch;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpServerFactory;

/**
 * One hello-world server for the HTTP overhead run ({@code benchmarks/http-overhead.sh}): Grizzly on
 * 127.0.0.1, the variant's application (bare, allocline logging to a file, a peer), in a JVM of its own
 * so that one variant's garbage does not slow another. Runs until killed.
 * Usage: {@code HttpServerMain <variant> <port> [hello|example]}.
 *
 * <p>{@code hello} (the default) serves {@code GET /hello}. {@code example} serves the example service's JSON
 * endpoint instead, {@code GET /clusters/{cluster_id}/databases} ({@code ClustersResource} of
 * example-jersey-app, unchanged): its H2 query over the example's default in-memory database, seeded as the
 * example seeds it at start-up (the {@code events} table, {@link ExampleConfig#load()}'s defaults), and
 * Jackson writing the answer: what a user with real work per request pays (#39 item 5).
 *
 * <p>Beside it, on {@code port + 100}, {@code GET /allocated} answers the bytes the JVM's live threads have
 * allocated so far (the sum of {@code ThreadMXBean.getThreadAllocatedBytes} over them), read by the script before
 * and after each round: the difference over the round's requests is the bytes per request, whoever allocated them
 * (Jersey, allocline, a peer, an agent's instrumentation), the same way for every server. Threads that died in
 * the round are missed (Grizzly's workers and selectors live as long as the server); the probe's own requests
 * (two per round) allocate a few KB, noise beside a round's hundreds of thousands of requests.
 */
public final class HttpServerMain {

    private HttpServerMain() {
    }

    public static void main(String[] args) throws Exception {
        InProcessApp.Variant variant = InProcessApp.Variant.valueOf(args[0]);
        int port = Integer.parseInt(args[1]);
        String endpoint = args.length > 2 ? args[2] : "hello";
        Object[] components;
        if (endpoint.equals("hello")) {
            components = new Object[] {FilterOverheadBenchmark.Hello.class};
        } else if (endpoint.equals("example")) {
            components = exampleEndpoint();
        } else {
            throw new IllegalArgumentException("endpoint: hello or example, not " + endpoint);
        }
        HttpServer server = GrizzlyHttpServerFactory.createHttpServer(URI.create("http://127.0.0.1:" + port + "/"),
                InProcessApp.config(variant, components), false);
        server.getListener("grizzly").getKeepAlive().setMaxRequestsCount(-1);
        server.start();
        com.sun.net.httpserver.HttpServer probe = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", port + 100), 0);
        probe.createContext("/allocated", exchange -> {
            byte[] body = Long.toString(allocatedByLiveThreads()).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            try (java.io.OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        probe.start();
        System.out.println("ready " + variant + " on " + port);
        new CountDownLatch(1).await();
    }

    /** The example's {@code ClustersResource} over its default database, seeded; Jackson for its JSON. */
    static Object[] exampleEndpoint() throws java.sql.SQLException {
        ExampleConfig defaults = ExampleConfig.load();
        Database db = new Database(defaults.jdbcUrl(), defaults.jdbcUser(), defaults.jdbcPassword());
        long rows = db.seed(defaults.seedRows());
        System.out.println("example database: " + rows + " rows in events");
        return new Object[] {ClustersResource.class, org.glassfish.jersey.jackson.JacksonFeature.class,
            new org.glassfish.hk2.utilities.binding.AbstractBinder() {
                @Override
                protected void configure() {
                    bind(db).to(Database.class);
                }
            }};
    }

    static long allocatedByLiveThreads() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)
                java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long b : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            if (b > 0) {
                sum += b;
            }
        }
        return sum;
    }
}
