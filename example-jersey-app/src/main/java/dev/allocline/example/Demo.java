package dev.allocline.example;

import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineFormat;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * The incident in one terminal: starts the service on a free port with a fresh profile directory,
 * sends a few normal requests, then the unbounded query, then the capped one, and prints each
 * request's canonical line and the profile that names the allocating code. Bounded: it sends seven
 * requests and stops. Health checks are skipped by the service's settings, so five lines are printed.
 */
public final class Demo {

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        LoggingSetup.beforeAnyLogger();
        Path profiles = Files.createTempDirectory("allocline-demo-profiles");
        List<CanonicalLine> lines = new CopyOnWriteArrayList<>();
        ExampleConfig config = ExampleConfig.load().withPort(0);
        config = new ExampleConfig(config.host(), 0, config.jdbcUrl(), config.jdbcUser(), config.jdbcPassword(),
                config.seedRows(), config.maxRows(), config.profileThresholdBytes(), config.environment(),
                config.profileKind(), config.profileCooldown(), profiles, java.util.Optional.empty(), config.s3Region(),
                java.util.Optional.empty(), config.logFormat(), config.shutdownGrace());
        try (ExampleServer server = ExampleServer.start(config, lines::add)) {
            Client client = new Client(URI.create("http://127.0.0.1:" + server.port()));
            step("1. normal traffic");
            client.get("/health-checks/db");
            client.get("/clusters/c-7/databases");
            client.get("/clusters/c-7/databases?slow_ms=300");
            client.get("/clusters/no-such-cluster/databases");
            step("2. the incident: one unbounded query, read into memory and written as indented JSON");
            client.post("/queries", "{\"sql\": \"SELECT * FROM events\"}");
            step("3. the fix: the same query with max_rows");
            client.post("/queries", "{\"sql\": \"SELECT * FROM events\", \"max_rows\": 500}");
            client.get("/health-checks/db");

            // Lines are written after the responses: wait for all of them (the health checks are skipped).
            waitFor(() -> lines.size() >= 5, Duration.ofSeconds(30));
            step("canonical lines (one per request; alloc_bytes is what that request allocated)");
            CanonicalLine worst = null;
            for (CanonicalLine l : lines) {
                System.out.println(CanonicalLineFormat.logfmt(l));
                if (worst == null || l.allocatedBytes() > worst.allocatedBytes()) {
                    worst = l;
                }
            }
            step("the outlier");
            if (worst != null) {
                System.out.printf("%s %s allocated %,d bytes (%.0f MiB) in %s; profile: %s%n", worst.httpMethod(),
                        worst.httpRoute(), worst.allocatedBytes(), worst.allocatedBytes() / 1048576.0,
                        CanonicalLineFormat.goDuration(worst.duration()), worst.profileKey().orElse("none"));
            }
            step("profiles captured (the profile_generated_line above names the allocating code)");
            List<Path> files = waitForProfiles(profiles, worst != null && worst.profileKey().isPresent() ? 1 : 0);
            for (Path f : files) {
                System.out.printf("%s (%,d bytes)%n", f, Files.size(f));
            }
        }
    }

    private static List<Path> waitForProfiles(Path dir, int expected) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            List<Path> files = new ArrayList<>();
            try (Stream<Path> s = Files.walk(dir)) {
                s.filter(Files::isRegularFile).filter(p -> !p.toString().endsWith(".partial")).forEach(files::add);
            }
            if (files.size() >= expected || System.nanoTime() > deadline) {
                return files;
            }
            Thread.sleep(100);
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, Duration limit)
            throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() - deadline < 0) {
            Thread.sleep(10);
        }
    }

    private static void step(String title) {
        System.out.println();
        System.out.println("=== " + title);
    }

    /** A tiny HTTP client that prints what it sent and got. */
    static final class Client {
        private final URI base;
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();

        Client(URI base) {
            this.base = base;
        }

        HttpResponse<String> get(String path) throws IOException, InterruptedException {
            return send(HttpRequest.newBuilder(base.resolve(path)).GET(), "GET " + path);
        }

        HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
            return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json)), "POST " + path + " " + json);
        }

        private HttpResponse<String> send(HttpRequest.Builder b, String what) throws IOException, InterruptedException {
            HttpResponse<String> r = http.send(b.timeout(Duration.ofMinutes(2)).build(), HttpResponse.BodyHandlers.ofString());
            System.out.printf("-> %s : HTTP %d, %,d bytes of body%n", what, r.statusCode(), r.body().length());
            return r;
        }
    }
}
