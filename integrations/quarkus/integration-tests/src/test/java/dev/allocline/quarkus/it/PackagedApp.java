package dev.allocline.quarkus.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged application ({@code target/quarkus-app/quarkus-run.jar}, system property {@code allocline.app}) in a
 * process of its own, started with {@code java [jvmArgs] -jar}, its console read line by line.
 */
final class PackagedApp {

    private static final Pattern LISTENING = Pattern.compile("Listening on: (http://\\S+)");

    private final Process process;
    private final List<String> console = new CopyOnWriteArrayList<>();
    private URI base;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private PackagedApp(List<String> jvmArgs) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.add("-jar");
        command.add(System.getProperty("allocline.app"));
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    console.add(l);
                }
            } catch (java.io.IOException e) {
                // the process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts the application and waits until it listens. */
    static PackagedApp start(String... jvmArgs) throws Exception {
        PackagedApp app = new PackagedApp(List.of(jvmArgs));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (app.base == null && System.nanoTime() < deadline && app.process.isAlive()) {
            for (String l : app.console) {
                Matcher m = LISTENING.matcher(l);
                if (m.find()) {
                    app.base = URI.create(m.group(1).replace("0.0.0.0", "127.0.0.1") + "/");
                }
            }
            Thread.sleep(50);
        }
        assertTrue(app.base != null, "the application did not start: " + app.console);
        return app;
    }

    URI base() {
        return base;
    }

    List<String> console() {
        return console;
    }

    void stop() throws Exception {
        process.destroy();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the application did not stop");
    }

    /** Status and body of {@code GET path} with request id {@code id}. */
    String get(String path, String id) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve(path)).header("X-Request-Id", id).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    /** The console line of request {@code id}, parsed (logfmt after the prefix). */
    Map<String, String> line(String id) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            for (String l : console) {
                int at = l.indexOf("canonical_api_line request_id=" + id + " ");
                if (at >= 0) {
                    assertEquals(at, l.lastIndexOf("canonical_api_line"), "the text once: " + l);
                    return Logfmt.parse(l.substring(at + "canonical_api_line ".length()));
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no line for " + id + " in the console: " + console);
    }
}
