package dev.allocline.jersey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.AllocLine;
import dev.allocline.line.CanonicalLine;
import dev.allocline.testing.Allocate;
import dev.allocline.testing.ChildJvm;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.LoopbackServer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.glassfish.jersey.server.ManagedAsync;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;

/**
 * The JFR event {@code dev.allocline.Request}: one per stretch a thread works for a request, on that thread,
 * with the request's id, route and method, read back from a real recording. On JDK 25 its fields are
 * {@code @Contextual}: the JDK's own {@code jfr print} shows the request above each allocation sample made
 * inside it, and not above a parallel request's.
 */
class RequestStretchEventTest {

    static final ExecutorService POOL = Executors.newFixedThreadPool(2);
    static final LineCollector LINES = new LineCollector();
    static LoopbackServer server;

    @Path("/stretch")
    public static final class Stretch {
        @GET
        @Path("sync/{mib}")
        public String sync(@PathParam("mib") int mib) {
            Allocate.bytes(mib << 20);
            return "sync";
        }

        @GET
        @Path("managed")
        @ManagedAsync
        public String managed() {
            return Thread.currentThread().getName();
        }

        @GET
        @Path("wrapped")
        public CompletionStage<String> wrapped() {
            return CompletableFuture.supplyAsync(() -> Thread.currentThread().getName(), AllocLine.wrap(POOL));
        }
    }

    @BeforeAll
    static void start() {
        server = LoopbackServer.start(Apps.withFeature(LINES, Stretch.class));
    }

    @AfterAll
    static void stop() {
        server.close();
        POOL.shutdownNow();
    }

    static List<RecordedEvent> stretches(java.nio.file.Path file) throws Exception {
        return RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("dev.allocline.Request")).toList();
    }

    @Test
    void everyStretchIsOneEventOnItsThreadWithTheRequestsIdRouteAndMethod() throws Exception {
        java.nio.file.Path file = Files.createTempFile("stretches", ".jfr");
        CanonicalLine sync;
        CanonicalLine managed;
        CanonicalLine wrapped;
        try (Recording r = new Recording()) {
            r.enable("dev.allocline.Request");
            r.start();
            sync = server.lineFor(LINES, "/stretch/sync/1", 200);
            managed = server.lineFor(LINES, "/stretch/managed", 200);
            wrapped = server.lineFor(LINES, "/stretch/wrapped", 200);
            r.stop();
            r.dump(file);
        }
        List<RecordedEvent> events = stretches(file);
        Map<String, List<RecordedEvent>> byId = events.stream()
                .collect(Collectors.groupingBy(e -> e.getString("request_id")));
        for (CanonicalLine l : List.of(sync, managed, wrapped)) {
            List<RecordedEvent> mine = byId.getOrDefault(l.requestId(), List.of());
            assertFalse(mine.isEmpty(), () -> "stretches of " + l + ": " + events);
            for (RecordedEvent e : mine) {
                assertEquals(l.httpRoute(), e.getString("route"), e::toString);
                assertEquals("GET", e.getString("method"), e::toString);
                assertFalse(e.getStartTime().isAfter(e.getEndTime()), e::toString);
            }
            Set<String> threads = mine.stream().map(e -> e.getThread().getJavaName()).collect(Collectors.toSet());
            assertEquals(l.allocThreads(), threads.size(), () -> "one thread per thread on the line: " + l + " " + mine);
        }
        // The sync request: its thread leaves when the method returns and comes back to write the response:
        // two stretches, both on the request thread.
        assertEquals(2, byId.get(sync.requestId()).size(), () -> "" + byId.get(sync.requestId()));
        // Crossing threads: the managed method's and the stage's own thread each have their stretch.
        assertEquals(2, managed.allocThreads(), managed::toString);
        assertTrue(byId.get(wrapped.requestId()).stream().anyMatch(e -> e.getThread().getJavaName().startsWith("pool-")),
                () -> "the wrapped task's thread: " + byId.get(wrapped.requestId()));
        // No two requests' stretches overlap on one thread.
        Map<Long, List<RecordedEvent>> byThread = events.stream()
                .collect(Collectors.groupingBy(e -> e.getThread().getJavaThreadId()));
        for (List<RecordedEvent> onThread : byThread.values()) {
            List<RecordedEvent> sorted = new ArrayList<>(onThread);
            sorted.sort((a, b) -> a.getStartTime().compareTo(b.getStartTime()));
            for (int i = 1; i < sorted.size(); i++) {
                Instant previousEnd = sorted.get(i - 1).getEndTime();
                RecordedEvent e = sorted.get(i);
                assertFalse(e.getStartTime().isBefore(previousEnd), () -> "overlap on one thread: " + sorted);
            }
        }
    }

    /**
     * Off, the events cost nothing a service would notice: in a JVM of its own (other tests' recordings enable
     * the event JVM-wide), requests through the Feature do not start JFR's recorder
     * ({@code FlightRecorder.isInitialized()} stays false), and a recording of something else that starts
     * later receives no stretch or line event.
     */
    @Test
    void offTheEventsNeitherWakeJfrNorAreWritten() throws Exception {
        ChildJvm child = ChildJvm.run(EventsOff.class, Files.createTempDirectory("events-off").toString());
        assertEquals(0, child.exitCode(), child::toString);
        assertTrue(child.out().contains("jfr initialized after 200 requests: false"), child::toString);
        assertTrue(child.out().contains("stretch events: 0, line events: 0, other events: "), child::toString);
        assertFalse(child.out().contains("other events: 0"), () -> "the recording recorded something: " + child);
    }

    /** The child JVM of {@link #offTheEventsNeitherWakeJfrNorAreWritten}. */
    public static final class EventsOff {
        public static void main(String[] args) throws Exception {
            org.glassfish.jersey.server.ApplicationHandler app = new org.glassfish.jersey.server.ApplicationHandler(
                    new org.glassfish.jersey.server.ResourceConfig(Stretch.class).register(
                            AllocLineFeature.builder().defaultSink(false).sink(l -> { }).build()));
            java.net.URI base = java.net.URI.create("http://localhost/");
            for (int i = 0; i < 200; i++) {
                get(app, base);
            }
            System.out.println("jfr initialized after 200 requests: " + jdk.jfr.FlightRecorder.isInitialized());
            java.nio.file.Path file = java.nio.file.Path.of(args[0], "other.jfr");
            try (Recording r = new Recording()) {
                r.enable("jdk.ThreadSleep").withThreshold(java.time.Duration.ZERO);
                r.start();
                for (int i = 0; i < 50; i++) {
                    get(app, base);
                    Thread.sleep(1);
                }
                r.stop();
                r.dump(file);
            }
            List<RecordedEvent> all = RecordingFile.readAllEvents(file);
            long stretches = all.stream().filter(e -> e.getEventType().getName().equals("dev.allocline.Request")).count();
            long lines = all.stream().filter(e -> e.getEventType().getName().equals("dev.allocline.Line")).count();
            System.out.println("stretch events: " + stretches + ", line events: " + lines + ", other events: "
                    + (all.size() - stretches - lines));
        }

        private static void get(org.glassfish.jersey.server.ApplicationHandler app, java.net.URI base) throws Exception {
            org.glassfish.jersey.server.ContainerRequest q = new org.glassfish.jersey.server.ContainerRequest(base,
                    base.resolve("stretch/sync/0"), "GET", null, new org.glassfish.jersey.internal.MapPropertiesDelegate(),
                    app.getConfiguration());
            if (app.apply(q, new java.io.ByteArrayOutputStream()).get().getStatus() != 200) {
                throw new AssertionError("not 200");
            }
        }
    }

    /**
     * JDK 25: {@code jfr print} (the JDK's tool, as a process) shows the allocating request's context above its
     * allocation samples, and never a parallel request's.
     */
    @Test
    @EnabledForJreRange(min = JRE.JAVA_25)
    void onJdk25JfrPrintShowsTheRequestAboveItsAllocationSamples() throws Exception {
        java.nio.file.Path file = Files.createTempFile("context", ".jfr");
        CanonicalLine heavy;
        try (Recording r = new Recording()) {
            r.enable("dev.allocline.Request");
            r.enable("jdk.ObjectAllocationSample").with("throttle", "1000/s").withStackTrace();
            r.start();
            heavy = server.lineFor(LINES, "/stretch/sync/64", 200);
            r.stop();
            r.dump(file);
        }
        Process p = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jfr").toString(),
                "print", "--events", "jdk.ObjectAllocationSample", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        // jfr print names the context by the event's simple name: "Context: Request.request_id = ...".
        String context = "Context: Request.request_id = \"" + heavy.requestId() + "\"";
        List<String> blocks = List.of(out.split("\n\\s*\n"));
        List<String> allocating = blocks.stream().filter(b -> b.contains("Allocate.bytes")).toList();
        assertFalse(allocating.isEmpty(), () -> "samples of Allocate.bytes in:\n" + out.substring(0, Math.min(out.length(), 4000)));
        for (String b : allocating) {
            assertTrue(b.contains(context) && b.contains("Context: Request.route = \"/stretch/sync/{mib}\""),
                    () -> "a sample of the heavy request without its context:\n" + b);
        }
        String thread = allocating.get(0).replaceAll("(?s).*eventThread = \"([^\"]*)\".*", "$1");
        for (String b : blocks) {
            if (b.contains("Context: Request.")) {
                assertTrue(b.contains("eventThread = \"" + thread + "\""), () -> "context on another thread:\n" + b);
            }
        }
    }
}
