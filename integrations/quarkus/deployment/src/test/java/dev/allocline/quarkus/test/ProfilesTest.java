package dev.allocline.quarkus.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.line.CanonicalLine;
import io.quarkus.test.QuarkusUnitTest;
import io.quarkus.test.common.http.TestHTTPResource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code quarkus.allocline.profile.*}: a request over the threshold gets a JFR allocation recording in the
 * configured store, named on its line; the health and metrics routes under {@code /q/} get no line.
 */
class ProfilesTest {

    static final Path STORE = Path.of("target", "quarkus-profiles-" + ProcessHandle.current().pid()).toAbsolutePath();

    @RegisterExtension
    static final QuarkusUnitTest APP = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(CapturedLines.class, CapturedLines.Captured.class,
                    Allocating.class, Allocating.Allocation.class, Allocating.Conflict.class,
                    Allocating.ConflictMapper.class, Allocating.AllocationWriter.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.allocline.request-id-header", "X-Request-Id")
            .overrideConfigKey("quarkus.allocline.profile.threshold", "8M")
            .overrideConfigKey("quarkus.allocline.profile.directory", STORE.toString())
            .overrideConfigKey("quarkus.allocline.profile.environment", "quarkus-test");

    static final CapturedLines LINES = CapturedLines.attach();

    @TestHTTPResource("/")
    URI base;

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void aRequestOverTheThresholdIsProfiledIntoTheStore() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("alloc/worker/24"))
                .header("X-Request-Id", "over-threshold").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        CanonicalLine line = LINES.await(l -> l.requestId().equals("over-threshold")).line();
        String key = line.profileKey().orElseThrow(() -> new AssertionError("no profile_key: " + line));
        assertTrue(key.startsWith("quarkus-test/profiles/over-threshold-") && key.endsWith(".jfr"), key);
        Path file = STORE.resolve(key);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(file) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(file), "the profile was stored at " + file);
        try (RecordingFile recording = new RecordingFile(file)) {
            boolean sampled = false;
            while (recording.hasMoreEvents() && !sampled) {
                sampled = recording.readEvent().getEventType().getName().equals("jdk.ObjectAllocationSample");
            }
            assertTrue(sampled, "the recording holds allocation samples");
        }
    }

    @Test
    void routesUnderQGetNoLine() throws Exception {
        http.send(HttpRequest.newBuilder(base.resolve("q/metrics")).header("X-Request-Id", "q-route").build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("alloc/worker/0"))
                .header("X-Request-Id", "after-q").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        LINES.await(l -> l.requestId().equals("after-q"));
        assertEquals(0, LINES.all(l -> l.requestId().equals("q-route")).size(), "skipped: /q/metrics");
    }

}
