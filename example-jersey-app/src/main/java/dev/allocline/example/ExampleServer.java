package dev.allocline.example;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.micrometer.MicrometerSink;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import dev.allocline.line.CanonicalLineSink;
import dev.allocline.profile.LocalDirectoryProfileStore;
import dev.allocline.profile.ProfileStore;
import dev.allocline.profile.S3ProfileStore;
import java.io.IOException;
import java.net.URI;
import java.sql.SQLException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.hk2.utilities.binding.AbstractBinder;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpServerFactory;
import org.glassfish.jersey.jackson.JacksonFeature;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.server.ServerProperties;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The example service: Jersey on Grizzly, an embedded H2, and allocline registered in its
 * {@link ResourceConfig} exactly as the README tells users to.
 */
public final class ExampleServer implements AutoCloseable {

    /**
     * Looked up on use, never in a static initialiser: the JVM initialises this class before
     * {@code main} runs, and a static logger would configure Log4j2 before {@code main} could choose
     * the JSON layout ({@code ALLOCLINE_LOG_FORMAT=json}).
     */
    private static Logger log() {
        return LogManager.getLogger(ExampleServer.class);
    }

    private final HttpServer server;
    private final ExampleConfig config;
    private final S3Client s3;
    private final int port;

    private ExampleServer(HttpServer server, ExampleConfig config, S3Client s3) {
        this.server = server;
        this.config = config;
        this.s3 = s3;
        this.port = server.getListener("grizzly").getPort();
    }

    /** Runs the service until SIGTERM or Ctrl-C. */
    public static void main(String[] args) throws Exception {
        LoggingSetup.beforeAnyLogger();
        ExampleConfig config;
        try {
            config = ExampleConfig.load();
        } catch (IllegalArgumentException e) {
            System.err.println("allocline example: " + e.getMessage());
            System.exit(2);
            return;
        }
        ExampleServer running = start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log().info("shutting down: no new connections, waiting up to {} s for in-flight requests and uploads",
                    config.shutdownGrace().toSeconds());
            running.close();
            stopped.countDown();
            LogManager.shutdown();
        }, "example-shutdown"));
        stopped.await();
    }

    /**
     * Starts the service with {@code config}; {@code extraSinks} receive every canonical line besides
     * Log4j2 (the tests and the demo use this).
     */
    public static ExampleServer start(ExampleConfig config, CanonicalLineSink... extraSinks)
            throws SQLException, IOException {
        Database db = new Database(config.jdbcUrl(), config.jdbcUser(), config.jdbcPassword());
        long t0 = System.nanoTime();
        long rows = db.seed(config.seedRows());
        log().info("database {} ready with {} rows in events ({} ms)", config.jdbcUrl(), rows,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));

        S3Client s3 = null;
        ProfileStore store;
        if (config.s3Bucket().isPresent()) {
            var b = S3Client.builder().region(Region.of(config.s3Region()));
            if (config.s3Endpoint().isPresent()) {
                b.endpointOverride(URI.create(config.s3Endpoint().get())).forcePathStyle(true);
            }
            s3 = b.build(); // credentials: the SDK's default chain
            store = S3ProfileStore.builder().client(s3).bucket(config.s3Bucket().get()).build();
        } else {
            store = new LocalDirectoryProfileStore(config.profileDir());
        }

        PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // This is the registration the README shows.
        AllocLineFeature.Builder allocline = AllocLineFeature.builder()
                .environment(config.environment())
                .profileThresholdBytes(config.profileThresholdBytes())
                .profileStore(store)
                .profileKind(config.profileKind())
                .profileCooldown(config.profileCooldown())
                .shutdownTimeout(config.shutdownGrace())
                .requestIdHeader("X-Request-Id")                      // trust the load balancer's id
                .applicationPackages("dev.allocline.example.")
                .sink(new MicrometerSink(metrics))                     // per-route metrics at GET /metrics
                .skip(line -> line.httpRoute().startsWith("/health-checks")); // 5xx and overruns are kept
        for (CanonicalLineSink sink : extraSinks) {
            allocline.sink(sink);
        }
        // Resources are registered as classes and get their dependencies injected: registering
        // resource instances makes Jersey log a spurious warning (eclipse-ee4j/jersey#3700).
        ResourceConfig rc = new ResourceConfig()
                .register(QueriesResource.class)
                .register(ClustersResource.class)
                .register(HealthChecksResource.class)
                .register(MetricsResource.class)
                .register(new AbstractBinder() {
                    @Override
                    protected void configure() {
                        bind(db).to(Database.class);
                        bind(metrics).to(PrometheusMeterRegistry.class);
                        bind(new QueriesResource.RowCap(config.maxRows())).to(QueriesResource.RowCap.class);
                    }
                })
                .register(JacksonFeature.class)
                .register(PrettyJson.class)
                .register(allocline.build())
                // No WADL: it needs a JAXB implementation the service does not ship, and warns at every start.
                .property(ServerProperties.WADL_FEATURE_DISABLE, true);

        HttpServer server = GrizzlyHttpServerFactory.createHttpServer(
                URI.create("http://" + config.host() + ":" + config.port() + "/"), rc, false);
        server.start();
        ExampleServer running = new ExampleServer(server, config, s3);
        log().info("listening on http://{}:{} (profiles over {} bytes go to {})", config.host(), running.port(),
                config.profileThresholdBytes(), store);
        return running;
    }

    /** The port it listens on. */
    public int port() {
        return port;
    }

    /** Stops accepting, lets in-flight requests finish and a pending upload complete, within the grace period. */
    @Override
    public void close() {
        try {
            server.shutdown(config.shutdownGrace().toSeconds(), TimeUnit.SECONDS).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            log().warn("graceful shutdown failed: {}", e.getCause().toString());
            server.shutdownNow();
        }
        if (s3 != null) {
            s3.close();
        }
    }
}
