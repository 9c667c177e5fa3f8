package dev.allocline.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.line.CanonicalLine;
import dev.allocline.profile.LocalDirectoryProfileStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.glassfish.jersey.internal.MapPropertiesDelegate;
import org.glassfish.jersey.server.ApplicationHandler;
import org.glassfish.jersey.server.ContainerRequest;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Test;

/** The sink against a real Prometheus registry: the scrape text is parsed, series by series. */
class MicrometerSinkTest {

    static volatile Object sink;

    @Path("/users/{id}")
    public static final class Users {
        @GET
        public String get(@PathParam("id") String id) {
            sink = new byte[64 * 1024];
            return id;
        }
    }

    @Path("/overrun")
    public static final class Overrun {
        @GET
        public String get() {
            for (int i = 0; i < 24; i++) {
                sink = new byte[1 << 20];
            }
            return "big";
        }
    }

    static int send(ApplicationHandler app, String path) throws Exception {
        ContainerRequest r = new ContainerRequest(URI.create("http://localhost/"), URI.create("http://localhost" + path),
                "GET", null, new MapPropertiesDelegate(), app.getConfiguration());
        return app.apply(r, new ByteArrayOutputStream()).get().getStatus();
    }

    /** Every sample of {@code name} in the scrape, keyed by its label set. */
    static Map<String, Double> samples(String scrape, String name) {
        Map<String, Double> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile("^" + Pattern.quote(name) + "(\\{.*\\})? ([0-9.eE+-]+)$", Pattern.MULTILINE)
                .matcher(scrape);
        while (m.find()) {
            out.put(m.group(1) == null ? "" : m.group(1), Double.parseDouble(m.group(2)));
        }
        return out;
    }

    @Test
    void aThousandRawPathsOfOneRouteAreOneSeriesTaggedLikeMicrometersJersey() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ApplicationHandler app = new ApplicationHandler(new ResourceConfig(Users.class).register(AllocLineFeature
                .builder().defaultSink(false).sink(new MicrometerSink(registry)).build()));
        for (int i = 0; i < 1000; i++) {
            assertEquals(200, send(app, "/users/u-" + i));
        }
        assertEquals(404, send(app, "/nope/1"));
        assertEquals(404, send(app, "/nope/2"));
        String scrape = registry.scrape();
        Map<String, Double> counts = samples(scrape, "http_server_requests_allocated_bytes_count");
        System.out.println("scrape excerpt:\n" + scrape.lines().filter(l -> l.contains("allocated"))
                .reduce((a, b) -> a + "\n" + b).orElse(""));
        assertEquals(Map.of(
                "{method=\"GET\",outcome=\"SUCCESS\",status=\"200\",uri=\"/users/{id}\"}", 1000.0,
                "{method=\"GET\",outcome=\"CLIENT_ERROR\",status=\"404\",uri=\"NOT_FOUND\"}", 2.0), counts);
        double sum = samples(scrape, "http_server_requests_allocated_bytes_sum")
                .get("{method=\"GET\",outcome=\"SUCCESS\",status=\"200\",uri=\"/users/{id}\"}");
        assertTrue(sum >= 1000 * 64 * 1024, "bytes are recorded, not counts: " + sum);
        assertTrue(samples(scrape, "allocline_process_allocated_bytes_total").values().stream().allMatch(v -> v > 0),
                "the process-wide counter is exported where the JVM has it");
    }

    @Test
    void profilesAreCountedByResult() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ApplicationHandler app = new ApplicationHandler(new ResourceConfig(Overrun.class).register(AllocLineFeature
                .builder().defaultSink(false).sink(new MicrometerSink(registry)).profileThresholdBytes(16L << 20)
                .profileCooldown(Duration.ofHours(1))
                .profileStore(new LocalDirectoryProfileStore(Files.createTempDirectory("allocline-metrics")))
                .profileTempDirectory(Files.createTempDirectory("allocline-metrics-work")).build()));
        assertEquals(200, send(app, "/overrun"));
        assertEquals(200, send(app, "/overrun")); // within the cooldown: skipped
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Map<String, Double> profiles;
        do {
            profiles = samples(registry.scrape(), "allocline_profiles_total");
            Thread.onSpinWait();
            // A counter shows in a scrape as 0 from its registration until its increment: wait for the count.
        } while (profiles.getOrDefault("{result=\"stored\"}", 0.0) < 1.0 && System.nanoTime() - deadline < 0);
        assertEquals(Map.of("{result=\"stored\"}", 1.0, "{result=\"skipped_cooldown\"}", 1.0), profiles);
    }

    @Test
    void requestsWithoutACountAreCountedApartNotRecordedAsZero() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MicrometerSink sink = new MicrometerSink(registry);
        sink.accept(new CanonicalLine("r1", "GET", "/v/1", "/v/{id}", 200, true, Duration.ofMillis(1), -1,
                Optional.of("virtual_thread"), 1, -1, 2, Optional.empty(), Map.of()));
        String scrape = registry.scrape();
        assertEquals(Map.of(), samples(scrape, "http_server_requests_allocated_bytes_count"));
        assertEquals(Map.of("{method=\"GET\",reason=\"virtual_thread\",uri=\"/v/{id}\"}", 1.0),
                samples(scrape, "http_server_requests_allocated_unavailable_requests_total"));
    }

    /**
     * Routes are templates, but an application can make routes at run time: past {@code maxUris}
     * distinct values, later routes share one {@code uri} value, so the registry stays bounded.
     */
    @Test
    void distinctUrisAreCappedAndTheRestShareOneSeries() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MicrometerSink sink = MicrometerSink.builder(registry).maxUris(3).build();
        for (int i = 0; i < 50; i++) {
            sink.accept(new CanonicalLine("r" + i, "GET", "/gen/" + i, "/gen-" + i + "/{id}", 200, true,
                    Duration.ofMillis(1), 1000, Optional.empty(), 1, -1, 2, Optional.empty(), Map.of()));
        }
        Map<String, Double> counts = samples(registry.scrape(), "http_server_requests_allocated_bytes_count");
        assertEquals(4, counts.size(), counts::toString);
        assertEquals(47.0, counts.entrySet().stream().filter(e -> e.getKey().contains("uri=\"OTHER\""))
                .mapToDouble(Map.Entry::getValue).sum(), counts::toString);
        IllegalArgumentException bad = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> MicrometerSink.builder(registry).maxUris(0));
        org.junit.jupiter.api.Assertions.assertTrue(bad.getMessage().contains("maxUris"), bad::getMessage);
    }

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    /** Bytes the calling thread allocates per call of {@code action}, after a warm-up. */
    private static double bytesPerCall(Runnable action) {
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            action.run(); // warm: the JIT compiles the path, the meter exists
        }
        long before = THREADS.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < n; i++) {
            action.run();
        }
        return (double) (THREADS.getCurrentThreadAllocatedBytes() - before) / n;
    }

    /**
     * Every request of a virtual-thread service takes the unavailable path: it must cost what a counted request
     * costs (a lookup and an add), not a meter registration (builder, tags, id, registry lookup) each time.
     */
    @Test
    void anUncountedRequestCostsNoMoreThanACountedOne() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MicrometerSink sink = new MicrometerSink(registry);
        CanonicalLine counted = new CanonicalLine("r1", "GET", "/v/1", "/v/{id}", 200, true, Duration.ofMillis(1), 4096,
                Optional.empty(), 1, -1, 2, Optional.empty(), Map.of());
        CanonicalLine uncounted = new CanonicalLine("r2", "GET", "/v/1", "/v/{id}", 200, true, Duration.ofMillis(1), -1,
                Optional.of("virtual_thread"), 1, -1, 2, Optional.empty(), Map.of());
        double countedBytes = bytesPerCall(() -> sink.accept(counted));
        double uncountedBytes = bytesPerCall(() -> sink.accept(uncounted));
        System.out.printf("bytes per line: counted %.1f, unavailable %.1f%n", countedBytes, uncountedBytes);
        assertTrue(uncountedBytes <= countedBytes + 16, "unavailable path allocates " + uncountedBytes
                + " bytes a line, the counted path " + countedBytes + ": a meter is registered per request");
        assertEquals(Map.of("{method=\"GET\",reason=\"virtual_thread\",uri=\"/v/{id}\"}", 40_000.0),
                samples(registry.scrape(), "http_server_requests_allocated_unavailable_requests_total"));
    }

    /** A storm of overruns inside the cooldown reports a skipped profile each: counting one is an add. */
    @Test
    void countingAProfileResultRegistersNothing() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MicrometerSink sink = new MicrometerSink(registry);
        dev.allocline.profile.ProfileReport skipped = new dev.allocline.profile.ProfileReport(
                dev.allocline.profile.ProfileReport.ProfileResult.SKIPPED_COOLDOWN, "r1", null, Map.of());
        double bytes = bytesPerCall(() -> sink.onProfile(skipped));
        System.out.printf("bytes per profile report: %.1f%n", bytes);
        assertTrue(bytes < 16, "a profile report allocates " + bytes + " bytes: a meter is registered per report");
        assertEquals(Map.of("{result=\"skipped_cooldown\"}", 40_000.0),
                samples(registry.scrape(), "allocline_profiles_total"));
    }

    /**
     * Two applications share one registry: the process counter is registered once, by the first sink. When that
     * application is gone, the counter must go on reading the process's bytes for the other one, not NaN.
     */
    @Test
    void theProcessCounterOutlivesTheSinkThatRegisteredItWhileAnotherSinkUsesTheRegistry() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.allocline.AllocLine.processAllocatedBytes().isPresent(),
                "this JVM has the process-wide counter");
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        java.lang.ref.WeakReference<MicrometerSink> first = new java.lang.ref.WeakReference<>(new MicrometerSink(registry));
        MicrometerSink second = new MicrometerSink(registry);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (first.get() != null) { // the first application is undeployed and its sink collected
            assertTrue(System.nanoTime() - deadline < 0, "the first sink was not collected within 10 s");
            System.gc();
        }
        double value = registry.get(MicrometerSink.PROCESS_ALLOCATED).functionCounter().count();
        assertTrue(value > 0, "the process counter reads " + value + " while " + second + " still uses the registry");
        assertTrue(samples(registry.scrape(), "allocline_process_allocated_bytes_total").values().stream()
                .allMatch(v -> v > 0), registry::scrape);
    }

    @Test
    void histogramsAndServiceLevelBucketsAreOptIn() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MicrometerSink sink = MicrometerSink.builder(registry).serviceLevelObjectives(1L << 20, 64L << 20).build();
        sink.accept(new CanonicalLine("r1", "POST", "/q", "/queries", 200, true, Duration.ofMillis(1), 3L << 20,
                Optional.empty(), 1, -1, 2, Optional.empty(), Map.of()));
        String text = registry.scrape();
        Map<String, Double> buckets = samples(text, "http_server_requests_allocated_bytes_bucket");
        assertEquals(0.0, buckets.get("{method=\"POST\",outcome=\"SUCCESS\",status=\"200\",uri=\"/queries\",le=\"1048576.0\"}"));
        assertEquals(1.0, buckets.get("{method=\"POST\",outcome=\"SUCCESS\",status=\"200\",uri=\"/queries\",le=\"6.7108864E7\"}"));
        PrometheusMeterRegistry plain = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new MicrometerSink(plain).accept(new CanonicalLine("r2", "POST", "/q", "/queries", 200, true, Duration.ofMillis(1),
                3L << 20, Optional.empty(), 1, -1, 2, Optional.empty(), Map.of()));
        assertTrue(samples(plain.scrape(), "http_server_requests_allocated_bytes_bucket").isEmpty());
    }
}
