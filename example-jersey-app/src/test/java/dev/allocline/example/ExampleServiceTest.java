package dev.allocline.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.line.CanonicalLine;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The demo's requests against the real service over HTTP: the incident is seen and profiled. */
class ExampleServiceTest {

    static final long THRESHOLD = 128L << 20;
    static final List<CanonicalLine> LINES = new CopyOnWriteArrayList<>();
    static ExampleServer server;
    static Path profiles;
    static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        profiles = Files.createTempDirectory("allocline-example-test");
        Properties p = new Properties();
        p.setProperty("allocline.port", "0");
        p.setProperty("allocline.profile.dir", profiles.toString());
        p.setProperty("allocline.profile.threshold.bytes", Long.toString(THRESHOLD));
        p.setProperty("allocline.jdbc.url", "jdbc:h2:mem:example-test;DB_CLOSE_DELAY=-1");
        p.setProperty("allocline.shutdown.seconds", "5");
        server = ExampleServer.start(ExampleConfig.from(p, Map.of()), LINES::add);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static CanonicalLine send(HttpRequest.Builder request, int expectedStatus) throws Exception {
        int before = LINES.size();
        HttpResponse<String> r = http.send(request.timeout(Duration.ofMinutes(2)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expectedStatus, r.statusCode(), r.body().length() > 300 ? r.body().substring(0, 300) : r.body());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (LINES.size() == before) {
            assertTrue(System.nanoTime() < deadline, "no canonical line");
            Thread.sleep(5);
        }
        return LINES.get(before);
    }

    private static HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).GET();
    }

    private static HttpRequest.Builder query(String json) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/queries"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
    }

    @Test
    void theIncidentIsCaughtAndProfiledWhileNormalRequestsStaySmall() throws Exception {
        CanonicalLine health = send(get("/health-checks/db"), 200);
        CanonicalLine dbs = send(get("/clusters/c-7/databases"), 200);
        CanonicalLine slow = send(get("/clusters/c-7/databases?slow_ms=200"), 200);
        assertEquals("/clusters/{cluster_id}/databases", dbs.httpRoute());
        for (CanonicalLine l : List.of(health, dbs, slow)) {
            assertTrue(l.allocatedBytes() < 4L << 20, "normal requests are small: " + l);
            assertEquals(Optional.empty(), l.profileKey());
        }
        assertTrue(slow.duration().toMillis() >= 200, "the slow path is slow, not big: " + slow);

        CanonicalLine incident = send(query("{\"sql\": \"SELECT * FROM events\"}"), 200);
        System.out.printf("incident: alloc_bytes=%,d duration=%s%n", incident.allocatedBytes(), incident.duration());
        assertEquals("/queries", incident.httpRoute());
        assertTrue(incident.allocatedBytes() > THRESHOLD, "the incident overruns: " + incident);
        assertTrue(incident.profileKey().isPresent(), "and gets a profile: " + incident);

        CanonicalLine capped = send(query("{\"sql\": \"SELECT * FROM events\", \"max_rows\": 500}"), 200);
        assertTrue(capped.allocatedBytes() < 8L << 20, "the capped query stays small: " + capped);
        assertEquals(Optional.empty(), capped.profileKey());

        Path jfr = profiles.resolve(incident.profileKey().get());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(jfr)) {
            assertTrue(System.nanoTime() < deadline, "profile file " + jfr + " never appeared");
            Thread.sleep(50);
        }
        long samples = 0;
        try (RecordingFile f = new RecordingFile(jfr)) {
            while (f.hasMoreEvents()) {
                RecordedEvent e = f.readEvent();
                if (e.getEventType().getName().equals("jdk.ObjectAllocationSample")) {
                    samples++;
                }
            }
        }
        assertTrue(samples > 0, "the profile parses as JFR with allocation samples");
    }

    @Test
    void badInputIsRefusedWithoutBreakingTheLine() throws Exception {
        CanonicalLine l = send(query("{\"sql\": \"DROP TABLE events\"}"), 400);
        assertEquals(400, l.status());
        assertEquals(404, send(get("/clusters/none/databases"), 404).status());
    }

    @Test
    void badConfigurationNamesTheSetting() {
        Properties p = new Properties();
        p.setProperty("allocline.port", "eighty");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExampleConfig.from(p, Map.of()));
        assertTrue(e.getMessage().contains("ALLOCLINE_PORT"), e.getMessage());
        IllegalArgumentException kind = assertThrows(IllegalArgumentException.class,
                () -> ExampleConfig.from(new Properties(), Map.of("ALLOCLINE_PROFILE_KIND", "pprof")));
        assertTrue(kind.getMessage().contains("ALLOCLINE_PROFILE_KIND"), kind.getMessage());
    }
}
