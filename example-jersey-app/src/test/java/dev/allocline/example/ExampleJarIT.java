package dev.allocline.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The packaged jar, started as a user starts it (`java -jar`), with the environment a user sets. */
class ExampleJarIT {

    static final ObjectMapper JSON = new ObjectMapper();

    /** A running `java -jar allocline-example.jar` whose stdout lines are collected. */
    static final class Service implements AutoCloseable {
        final Process process;
        final List<String> out = new CopyOnWriteArrayList<>();
        final Thread reader;

        Service(String format) throws Exception {
            Path jar = Path.of(System.getProperty("allocline.example.jar", "target/allocline-example.jar"));
            assertTrue(Files.exists(jar), "build the jar first: " + jar);
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar", jar.toString()).redirectErrorStream(true);
            pb.environment().put("ALLOCLINE_LOG_FORMAT", format);
            pb.environment().put("ALLOCLINE_PORT", "0");
            pb.environment().put("ALLOCLINE_SEED_ROWS", "2000");
            pb.environment().put("ALLOCLINE_PROFILE_DIR", Files.createTempDirectory("allocline-it").toString());
            pb.environment().put("ALLOCLINE_SHUTDOWN_SECONDS", "5");
            process = pb.start();
            reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        out.add(l);
                    }
                } catch (java.io.IOException e) {
                    // the process ended
                }
            }, "jar-stdout");
            reader.start();
        }

        Optional<String> line(Pattern p) {
            return out.stream().filter(l -> p.matcher(l).find()).findFirst();
        }

        String await(Pattern p) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                Optional<String> l = line(p);
                if (l.isPresent()) {
                    return l.get();
                }
                assertTrue(process.isAlive() || System.nanoTime() < deadline, "the service exited: " + out);
                assertTrue(System.nanoTime() < deadline, "no line matching " + p + " in " + out);
                Thread.sleep(20);
            }
        }

        @Override
        public void close() throws Exception {
            process.destroy(); // SIGTERM: graceful shutdown
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            reader.join(5_000);
        }
    }

    private static int port(Service s) throws InterruptedException {
        Matcher m = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)").matcher(
                s.await(Pattern.compile("listening on http://127\\.0\\.0\\.1:\\d+")));
        assertTrue(m.find());
        return Integer.parseInt(m.group(1));
    }

    private static HttpResponse<String> get(int port, String path, String requestId) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("X-Request-Id", requestId).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void jsonFormatFromTheEnvironmentGivesJsonLinesWithTheFieldsAsJson() throws Exception {
        try (Service s = new Service("json")) {
            int port = port(s);
            HttpResponse<String> r = get(port, "/clusters/c-7/databases", "lb-4242");
            assertEquals(200, r.statusCode());
            assertEquals(Optional.of("lb-4242"), r.headers().firstValue("X-Request-Id"));
            s.await(Pattern.compile("canonical_api_line"));
            // Every line the service printed is one JSON object (the layout was chosen before Log4j2 started).
            for (String l : s.out) {
                JSON.readTree(l);
            }
            JsonNode line = JSON.readTree(s.await(Pattern.compile("canonical_api_line.*lb-4242|lb-4242.*canonical_api_line")));
            System.out.println("json line: " + line);
            JsonNode fields = line.path("fields");
            assertEquals("lb-4242", fields.path("request_id").asText(), line::toString);
            assertTrue(fields.path("alloc_bytes").isNumber(), line::toString);
            assertEquals("c-7", fields.path("cluster_id").asText(), line::toString);
            assertEquals("/clusters/{cluster_id}/databases", fields.path("http_route").asText());
        }
    }

    @Test
    void aNewUsersFirstStartLogsNoWarning() throws Exception {
        try (Service s = new Service("text")) {
            int port = port(s);
            assertEquals(200, get(port, "/clusters/c-1/databases", "first-start").statusCode());
            String line = s.await(Pattern.compile("canonical_api_line .*request_id=first-start"));
            System.out.println("text line: " + line);
            assertTrue(line.contains("cluster_id=c-1"), line);
            assertFalse(s.out.stream().anyMatch(l -> l.contains(" WARN ") || l.contains("WadlFeature")),
                    () -> "warnings at start: " + s.out);
        }
    }
}
