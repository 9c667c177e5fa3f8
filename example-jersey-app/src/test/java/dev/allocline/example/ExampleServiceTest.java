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

    /** Budgets for the service's routes; the incident's line gets a profile, so a failure names its sites. */
    @org.junit.jupiter.api.extension.RegisterExtension
    static final dev.allocline.test.AllocationBudgets BUDGETS = new dev.allocline.test.AllocationBudgets();
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
        server = ExampleServer.start(ExampleConfig.from(p, Map.of()), LINES::add, BUDGETS);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static final java.util.concurrent.atomic.AtomicInteger IDS = new java.util.concurrent.atomic.AtomicInteger();

    /** Sends with a request id of its own (the service trusts X-Request-Id) and returns the line with that id. */
    private static CanonicalLine send(HttpRequest.Builder request, int expectedStatus) throws Exception {
        String id = sendOnly(request, expectedStatus);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Optional<CanonicalLine> line = lineWithId(id);
            if (line.isPresent()) {
                return line.get();
            }
            assertTrue(System.nanoTime() < deadline, "no canonical line for request " + id);
            Thread.sleep(5);
        }
    }

    private static String sendOnly(HttpRequest.Builder request, int expectedStatus) throws Exception {
        String id = "test-" + IDS.incrementAndGet();
        HttpResponse<String> r = http.send(request.header("X-Request-Id", id).timeout(Duration.ofMinutes(2)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(expectedStatus, r.statusCode(), r.body().length() > 300 ? r.body().substring(0, 300) : r.body());
        assertEquals(Optional.of(id), r.headers().firstValue("X-Request-Id"), "the response carries the trusted id");
        return id;
    }

    private static Optional<CanonicalLine> lineWithId(String id) {
        return LINES.stream().filter(l -> l.requestId().equals(id)).findFirst();
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
        CanonicalLine dbs = send(get("/clusters/c-7/databases"), 200);
        CanonicalLine slow = send(get("/clusters/c-7/databases?slow_ms=200"), 200);
        assertEquals("/clusters/{cluster_id}/databases", dbs.httpRoute());
        assertEquals("c-7", dbs.fields().get("cluster_id"), "the resource's own field: " + dbs);
        for (CanonicalLine l : List.of(dbs, slow)) {
            assertTrue(l.allocatedBytes() < 4L << 20, "normal requests are small: " + l);
            assertEquals(Optional.empty(), l.profileKey());
        }
        assertTrue(slow.duration().toMillis() >= 200, "the slow path is slow, not big: " + slow);

        // Normal requests run beside the incident on other container threads: none of their samples may reach
        // the incident's own recording.
        java.util.concurrent.atomic.AtomicBoolean incidentDone = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.ExecutorService beside = java.util.concurrent.Executors.newFixedThreadPool(2);
        List<java.util.concurrent.Future<Integer>> parallel = new java.util.ArrayList<>();
        for (int t = 0; t < 2; t++) {
            parallel.add(beside.submit(() -> {
                int n = 0;
                while (!incidentDone.get() && n < 500) {
                    sendOnly(get("/clusters/c-9/databases"), 200);
                    n++;
                }
                return n;
            }));
        }
        CanonicalLine incident;
        try {
            incident = send(query("{\"sql\": \"SELECT * FROM events\"}"), 200);
        } finally {
            incidentDone.set(true);
            beside.shutdown();
        }
        int besideRequests = 0;
        for (java.util.concurrent.Future<Integer> f : parallel) {
            besideRequests += f.get(60, TimeUnit.SECONDS);
        }
        assertTrue(besideRequests > 0, "requests ran beside the incident");
        System.out.printf("incident: alloc_bytes=%,d duration=%s%n", incident.allocatedBytes(), incident.duration());
        assertEquals("/queries", incident.httpRoute());
        assertTrue(incident.allocatedBytes() > THRESHOLD, "the incident overruns: " + incident);
        assertTrue(incident.profileKey().isPresent(), "and gets a profile: " + incident);
        assertEquals(300_000, incident.fields().get("rows"), "rows read: " + incident);
        assertEquals(QueriesResource.sqlHash("SELECT * FROM events"), incident.fields().get("sql_hash"));
        // The regression a test could have caught: the incident fails its budget, naming route, bytes and sites.
        AssertionError overBudget = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> BUDGETS.assertAllocatedAtMost(incident, 8L << 20));
        System.out.println("incident budget failure:\n" + overBudget.getMessage());
        assertTrue(overBudget.getMessage().startsWith("allocation budget exceeded: POST /queries allocated "),
                overBudget.getMessage());
        assertTrue(overBudget.getMessage().contains("budget 8,388,608: over by "), overBudget.getMessage());
        assertTrue(overBudget.getMessage().contains("app_site_1="), overBudget.getMessage());

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

        // The incident's own recording (JDK 19+ writes it) and its flame graph: the widest application frame is
        // QueriesResource, and no sample of the requests that ran beside it on other threads is in it.
        String base = incident.profileKey().get().replaceFirst("\\.jfr$", "");
        Path flame = profiles.resolve(base + ".flamegraph.html");
        while (!Files.exists(flame)) {
            assertTrue(System.nanoTime() < deadline, "flame graph " + flame + " never appeared");
            Thread.sleep(50);
        }
        assertTrue(Files.readString(flame).contains("QueriesResource"), "the flame graph names the resource");
        if (Runtime.version().feature() >= 19) {
            Path own = profiles.resolve(base + ".request.jfr");
            assertTrue(Files.exists(own), "the request's own recording is stored beside the profile: " + own);
            java.util.Map<String, Long> byAppFrame = new java.util.HashMap<>();
            long ownSamples = 0;
            try (RecordingFile f = new RecordingFile(own)) {
                while (f.hasMoreEvents()) {
                    RecordedEvent e = f.readEvent();
                    if (!e.getEventType().getName().equals("jdk.ObjectAllocationSample") || e.getStackTrace() == null) {
                        continue;
                    }
                    ownSamples++;
                    String app = "(library only)";
                    for (jdk.jfr.consumer.RecordedFrame frame : e.getStackTrace().getFrames()) {
                        String type = frame.getMethod().getType().getName();
                        assertTrue(!type.contains("ClustersResource"), "a parallel request's sample: " + type);
                        if (app.equals("(library only)") && type.startsWith("dev.allocline.example.")) {
                            app = type + "." + frame.getMethod().getName();
                        }
                    }
                    byAppFrame.merge(app, e.getLong("weight"), Long::sum);
                }
            }
            System.out.println("incident's own recording: " + ownSamples + " samples by application frame " + byAppFrame);
            String widest = byAppFrame.entrySet().stream().filter(en -> !en.getKey().equals("(library only)"))
                    .max(java.util.Map.Entry.comparingByValue()).map(java.util.Map.Entry::getKey).orElse("none");
            assertTrue(widest.startsWith("dev.allocline.example.QueriesResource."), "widest application frame: "
                    + widest + " in " + byAppFrame);
        }
    }

    @Test
    void normalRequestsAndTheCappedQueryStayWithinTheirBudgets() throws Exception {
        send(get("/clusters/c-5/databases"), 200);
        send(query("{\"sql\": \"SELECT * FROM events\", \"max_rows\": 500}"), 200);
        // Measured: ~0.6-0.8 MB and ~0.6 MB; budgets with headroom for a cold JVM and another JDK.
        BUDGETS.assertAllocatedAtMost("/clusters/{cluster_id}/databases", 4L << 20);
        BUDGETS.assertAllocatedAtMost("/queries", 8L << 20);
    }

    @Test
    void metricsAreScrapedInPrometheusFormatPerRoute() throws Exception {
        send(get("/clusters/c-2/databases"), 200);
        send(get("/clusters/c-3/databases"), 200);
        HttpResponse<String> r = http.send(get("/metrics").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        String series = r.body().lines().filter(l -> l.startsWith("http_server_requests_allocated_bytes_count{")
                && l.contains("uri=\"/clusters/{cluster_id}/databases\"") && l.contains("status=\"200\""))
                .findFirst().orElseThrow(() -> new AssertionError("no series for the route in:\n" + r.body()));
        System.out.println("scrape excerpt:\n" + r.body().lines().filter(l -> l.contains("allocated")
                || l.contains("allocline_profiles")).reduce((a, b) -> a + "\n" + b).orElse(""));
        assertTrue(Double.parseDouble(series.substring(series.lastIndexOf(' ') + 1)) >= 2, series);
    }

    @Test
    void healthChecksAreSkippedButOtherLinesAreNot() throws Exception {
        String health = sendOnly(get("/health-checks/db"), 200);
        // The same connection serves the next request after the health check's line would have been written.
        CanonicalLine after = send(get("/clusters/c-3/databases"), 200);
        assertEquals("c-3", after.fields().get("cluster_id"));
        assertEquals(Optional.empty(), lineWithId(health), "health checks are skipped");
    }

    @Test
    void fileFunctionsAreRefusedInsideASelect() throws Exception {
        for (String sql : List.of("SELECT FILE_READ('/etc/passwd')",
                "SELECT * FROM CSVREAD('/etc/passwd')",
                "SELECT CSVWRITE('/tmp/allocline-example-csvwrite.csv', 'SELECT 1')",
                "SELECT LINK_SCHEMA('x', '', 'jdbc:h2:mem:other', 'sa', '', 'PUBLIC')")) {
            CanonicalLine l = send(query("{\"sql\": \"" + sql.replace("'", "'") + "\"}"), 400);
            assertEquals(400, l.status(), sql);
        }
        assertTrue(!Files.exists(Path.of("/tmp/allocline-example-csvwrite.csv")), "CSVWRITE wrote a file");
        // An ordinary SELECT still works for the same reader account.
        assertEquals(200, send(query("{\"sql\": \"SELECT COUNT(*) AS n FROM events\"}"), 200).status());
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
