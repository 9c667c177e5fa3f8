package dev.allocline.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.allocline.internal.profile.ProfileTrigger;
import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.line.CanonicalLine;
import dev.allocline.testing.CapturedLog;
import dev.allocline.testing.Eventually;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.LoopbackServer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.message.MapMessage;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An overrun's profile comes with the request's own recording: only the samples of its threads while
 * they worked for it (not a neighbour request's running at the same time), and the GC of its window.
 */
class RequestRecordingTest {

    static final long THRESHOLD = 32L << 20;

    /** A resource whose method names are unmistakable in a recording. */
    @jakarta.ws.rs.Path("/incident")
    @Produces(MediaType.TEXT_PLAIN)
    public static class IncidentApi {

        static volatile Object sink;
        static volatile CountDownLatch reportStarted = new CountDownLatch(1);
        static volatile boolean reportDone;
        static volatile long reportThread;
        static volatile long neighbourThread;

        @GET
        @jakarta.ws.rs.Path("report/{mib}")
        public String buildTheIncidentReport(@PathParam("mib") int mib) {
            reportThread = Thread.currentThread().getId();
            reportStarted.countDown();
            long sum = 0;
            for (int i = 0; i < mib * 16; i++) {
                byte[] chunk = new byte[64 << 10];
                sink = chunk;
                sum += chunk.length;
            }
            reportDone = true;
            return Long.toString(sum);
        }

        /** Runs beside the report on another container thread, allocating little (never an overrun itself). */
        @GET
        @jakarta.ws.rs.Path("neighbour")
        public String allocateForTheNeighbour() throws InterruptedException {
            neighbourThread = Thread.currentThread().getId();
            if (!reportStarted.await(30, TimeUnit.SECONDS)) {
                return "never started";
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int n = 0;
            while (!reportDone && System.nanoTime() < deadline) {
                // Never an overrun: a slow report (a busy machine) must not let the neighbour cross the threshold
                // and take the one profile slot first (it did: 40 MB beside a 167 ms report in a CI run).
                if ((n + 1L) << 20 < THRESHOLD / 2) {
                    sink = new byte[1 << 20];
                    n++;
                }
                Thread.sleep(2);
            }
            return Integer.toString(n);
        }
    }

    static Map<String, Object> profileLine(CapturedLog log, String key) {
        Eventually.within(60_000, "profile_generated_line for " + key, () -> log.events().stream()
                .anyMatch(e -> e.getMessage() instanceof MapMessage<?, ?> m && key.equals(m.getData().get("profile_key"))));
        LogEvent e = log.events().stream().filter(x -> x.getMessage() instanceof MapMessage<?, ?> m
                && key.equals(m.getData().get("profile_key"))).findFirst().orElseThrow();
        System.out.println("profile line: " + e.getMessage().getFormattedMessage());
        return Map.copyOf(((MapMessage<?, ?>) e.getMessage()).getData());
    }

    /** The overrun, with a neighbour request allocating on another thread the whole time. */
    static Incident incidentWithANeighbour(Path tmp) throws Exception {
        IncidentApi.reportStarted = new CountDownLatch(1);
        IncidentApi.reportDone = false;
        LineCollector lines = new LineCollector();
        Path out = tmp.resolve("out");
        try (CapturedLog log = CapturedLog.of(ProfileTrigger.PROFILE_LOGGER);
             LoopbackServer server = LoopbackServer.start(new ResourceConfig(IncidentApi.class).register(
                     AllocLineFeature.builder().defaultSink(false).sink(lines).profileThresholdBytes(THRESHOLD)
                             .profileStore(new LocalDirectoryProfileStore(out)).environment("test")
                             .profileTempDirectory(tmp.resolve("work")).build()))) {
            CompletableFuture<Integer> neighbour = CompletableFuture.supplyAsync(
                    () -> server.get("/incident/neighbour").statusCode());
            // The server's start allocates fast enough to raise the sampling rate; the overrun must raise it itself.
            Eventually.within(10_000, "the sampling rate back to the continuous one", RequestRecordingTest::notBoosted);
            assertEquals(200, server.get("/incident/report/96").statusCode());
            assertEquals(200, neighbour.get(60, TimeUnit.SECONDS));
            List<CanonicalLine> got = new ArrayList<>(List.of(lines.next(), lines.next()));
            CanonicalLine report = got.stream().filter(l -> l.httpPath().startsWith("/incident/report")).findFirst().orElseThrow();
            String key = report.profileKey().orElseThrow(() -> new AssertionError("no profile: " + report));
            return new Incident(report, key, profileLine(log, key), out);
        }
    }

    /** Whether allocline's boost recording is at the continuous rate (read through JFR's own API). */
    static boolean notBoosted() {
        List<Recording> boosts = FlightRecorder.getFlightRecorder().getRecordings().stream()
                .filter(r -> "allocline-boost".equals(r.getName()) && r.getState() == RecordingState.RUNNING).toList();
        assertFalse(boosts.isEmpty(), "the boost recording is armed");
        return boosts.stream().allMatch(r -> "300/s".equals(r.getSettings().get("jdk.ObjectAllocationSample#throttle")));
    }

    record Incident(CanonicalLine line, String key, Map<String, Object> profile, Path out) {
        Path file(String field) {
            Object location = profile.get(field);
            assertTrue(location != null, () -> "no " + field + " on " + profile);
            return Path.of(URI.create(location.toString()));
        }
    }

    record Sample(long thread, Instant at, long weight, List<String> frames) {
    }

    static List<Sample> samples(Path jfr) throws Exception {
        List<Sample> found = new ArrayList<>();
        try (RecordingFile f = new RecordingFile(jfr)) {
            while (f.hasMoreEvents()) {
                RecordedEvent e = f.readEvent();
                if (e.getEventType().getName().equals("jdk.ObjectAllocationSample")) {
                    List<String> frames = e.getStackTrace() == null ? List.of() : e.getStackTrace().getFrames().stream()
                            .map(RecordedFrame::getMethod).map(m -> m.getName()).collect(Collectors.toList());
                    found.add(new Sample(e.getThread("eventThread").getJavaThreadId(), e.getStartTime(),
                            e.getLong("weight"), frames));
                }
            }
        }
        return found;
    }

    @Test
    void theRequestRecordingHoldsOnlyTheOverrunsSamplesNotItsNeighbours(@TempDir Path tmp) throws Exception {
        Incident incident = incidentWithANeighbour(tmp);
        if (Runtime.version().feature() < 19) {
            assertEquals("jdk" + Runtime.version().feature(), incident.profile().get("request_recording_unavailable"),
                    "JDK 17 cannot write a filtered recording and says so: " + incident.profile());
            assertFalse(incident.profile().containsKey("request_recording"));
        }
        assumeTrue(Runtime.version().feature() >= 19, "RecordingFile.write needs JDK 19+");
        String requestKey = incident.key().replace(".jfr", ".request.jfr");
        Path request = incident.file("request_recording");
        assertEquals(incident.out().resolve(requestKey), request, "stored under a key derived from the profile key");

        List<Sample> full = samples(incident.file("location"));
        assertTrue(full.stream().anyMatch(s -> s.thread() == IncidentApi.neighbourThread
                && s.frames().contains("allocateForTheNeighbour")),
                "the full recording has the neighbour's samples, or this test proves nothing");
        List<Sample> own = samples(request);
        System.out.println("request recording: " + own.size() + " samples of " + full.size() + " in the full one");
        assertTrue(own.stream().anyMatch(s -> s.frames().contains("buildTheIncidentReport")), own::toString);
        for (Sample s : own) {
            assertEquals(IncidentApi.reportThread, s.thread(), () -> "a sample of another thread: " + s);
            assertFalse(s.frames().contains("allocateForTheNeighbour"), s::toString);
        }
        assertTrue(Files.size(request) < Files.size(incident.file("location")));
    }

    /**
     * The request's cut is made by its own stretch events in the capture (JFR's clock, the stretches the line
     * counted), not by spans converted from {@code System.nanoTime}: every sample of the request recording lies
     * inside one of the request's stretches, and every sample of the full capture inside one is in it.
     */
    @Test
    void theRequestRecordingIsCutByTheRequestsStretchEvents(@TempDir Path tmp) throws Exception {
        Incident incident = incidentWithANeighbour(tmp);
        assertEquals("stretch_events", incident.profile().get("request_spans"), incident.profile()::toString);
        assumeTrue(Runtime.version().feature() >= 19, "RecordingFile.write needs JDK 19+");
        List<long[]> stretches = new ArrayList<>();
        try (RecordingFile f = new RecordingFile(incident.file("location"))) {
            while (f.hasMoreEvents()) {
                RecordedEvent e = f.readEvent();
                if (e.getEventType().getName().equals("dev.allocline.Request")
                        && incident.line().requestId().equals(e.getString("request_id"))) {
                    assertEquals(incident.line().httpRoute(), e.getString("route"));
                    stretches.add(new long[] {e.getThread().getJavaThreadId(), nanos(e.getStartTime()), nanos(e.getEndTime())});
                }
            }
        }
        assertFalse(stretches.isEmpty(), "the capture holds the request's stretches");
        java.util.function.Predicate<Sample> inside = s -> stretches.stream().anyMatch(x -> x[0] == s.thread()
                && nanos(s.at()) >= x[1] && nanos(s.at()) <= x[2]);
        List<Sample> own = samples(incident.file("request_recording"));
        assertFalse(own.isEmpty());
        assertTrue(own.stream().allMatch(inside), () -> "samples outside the request's stretches: " + own);
        assertEquals(samples(incident.file("location")).stream().filter(inside).count(), own.size(),
                "every sample inside the stretches is in the request's recording");
    }

    static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    @Test
    void theFlameGraphShowsTheResourceMethodThatAllocated(@TempDir Path tmp) throws Exception {
        Incident incident = incidentWithANeighbour(tmp);
        Path html = incident.file("flamegraph");
        assertEquals(incident.out().resolve(incident.key().replace(".jfr", ".flamegraph.html")), html,
                "stored beside the profile, under a key derived from its key");
        String page = Files.readString(html);
        assertFalse(page.contains("<script src="), "self-contained: no script from elsewhere");
        List<String> frames = FlameGraphPage.frameNames(page);
        assertTrue(frames.contains(IncidentApi.class.getName() + ".buildTheIncidentReport"),
                () -> "the resource method that allocated is a frame: " + frames);
        assertFalse(frames.contains(IncidentApi.class.getName() + ".allocateForTheNeighbour"),
                () -> "the neighbour request is not: " + frames);
        // --total: widths are bytes, and the method allocated nearly all of the request's
        List<FlameGraphPage.Frame> drawn = FlameGraphPage.frames(page);
        long all = drawn.stream().filter(f -> f.level() == 0).mapToLong(FlameGraphPage.Frame::width).sum();
        long method = drawn.stream().filter(f -> f.name().endsWith(".buildTheIncidentReport"))
                .mapToLong(FlameGraphPage.Frame::width).sum();
        System.out.printf("flame graph: all=%d buildTheIncidentReport=%d alloc_bytes=%d%n", all, method,
                incident.line().allocatedBytes());
        // Sampled (JFR's allocation samples): 0.95-0.99 on a quiet machine, 0.79 seen once with three builds beside
        // it; "most" is the behaviour, so the bar is 0.6, not a fraction of a busy machine's noise.
        assertTrue(method > 0.6 * all, () -> "the resource method is most of the graph: " + method + " of " + all);
        assertEquals(Long.parseLong(incident.profile().get("sampled_bytes").toString()), all,
                "the graph is the request's samples, weighed in bytes");
    }

    /**
     * The overrun's samples stand for its bytes: their weights add up to 0.8-1.2x its alloc_bytes, from at
     * least 50 samples, although the request (96 MiB in 64 KiB arrays) is over in tens of milliseconds.
     */
    @Test
    void theOverrunsSamplesAccountForItsBytes(@TempDir Path tmp) throws Exception {
        Incident incident = incidentWithANeighbour(tmp);
        long samples = Long.parseLong(incident.profile().get("samples").toString());
        long sampled = Long.parseLong(incident.profile().get("sampled_bytes").toString());
        double ratio = (double) sampled / incident.line().allocatedBytes();
        System.out.printf("sampling: java %s samples=%d sampled_bytes=%d alloc_bytes=%d ratio=%.3f%n",
                Runtime.version(), samples, sampled, incident.line().allocatedBytes(), ratio);
        assertEquals(String.format(java.util.Locale.ROOT, "%.3f", ratio), incident.profile().get("sampled_ratio"));
        assertTrue(ratio >= 0.8 && ratio <= 1.2, "weights account for the request's bytes: " + ratio);
        assertTrue(samples >= 50, "enough samples: " + samples);
        if (Runtime.version().feature() >= 19) {
            List<Sample> own = samples(incident.file("request_recording"));
            assertEquals(samples, own.size(), "the request recording holds exactly the samples counted on the line");
            assertEquals(sampled, own.stream().mapToLong(Sample::weight).sum());
        }
    }
}
