package dev.allocline.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.line.CanonicalLine;
import dev.allocline.testing.Allocate;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.LoopbackServer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PathParam;
import java.nio.file.Path;
import java.util.List;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end, as the docs tell a user to do it: a service started with
 * {@code -XX:StartFlightRecording:settings=default,+dev.allocline.Request#enabled=true,+dev.allocline.Line#enabled=true,...}
 * (docs/profiles-and-s3.md), a real request over HTTP through Jersey and allocline's Feature, the JVM's own
 * recording written at exit; the command then finds that request in it: its stretch, its line's exact
 * figure and the method that allocated. Runs on whichever JDK runs the tests (.ci/run: 17 and 25).
 */
class StartFlightRecordingTest {

    @TempDir
    Path dir;

    @jakarta.ws.rs.Path("/e2e")
    public static final class Service {
        @GET
        @jakarta.ws.rs.Path("{mib}")
        public String allocate(@PathParam("mib") int mib) {
            Work.run(mib);
            return "done";
        }
    }

    /**
     * The allocating method the command must name. Spread over about a second: JFR throttles allocation
     * samples (150/s under settings=default, budgeted per window and shared by every thread) and gives a taken
     * sample the weight of all the thread allocated since its last taken one, so a burst that outruns a
     * window's budget is charged to whatever the thread allocates next (in one CI run, 49 of 64 MiB to
     * Grizzly's date formatter writing the response). A frame's weight is a statistic over many windows; this
     * gives the recording several.
     */
    static final class Work {
        static void run(int mib) {
            for (int i = 0; i < mib; i++) {
                Allocate.bytes(1 << 20);
                try {
                    Thread.sleep(16);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** The service: serves one request to itself, prints its line's id and bytes, exits (JFR writes the file). */
    public static final class RecordedService {
        public static void main(String[] args) {
            LineCollector lines = new LineCollector();
            ResourceConfig rc = new ResourceConfig(Service.class).register(AllocLineFeature.builder().defaultSink(false)
                    .requestIdHeader("X-Request-Id").sink(lines).build());
            try (LoopbackServer server = LoopbackServer.start(rc)) {
                CanonicalLine line = server.lineFor(lines, "/e2e/64", 200);
                System.out.println("line " + line.requestId() + " " + line.allocatedBytes());
            }
        }
    }

    @Test
    void aRecordingStartedOnTheCommandLineHoldsTheRequestTheCommandFinds() throws Exception {
        Path file = dir.resolve("service.jfr");
        BoundedHeapTest.Child service = BoundedHeapTest.Child.run(dir, BoundedHeapTest.javaOf(System.getProperty("java.home")),
                List.of("-XX:StartFlightRecording:settings=default,+dev.allocline.Request#enabled=true,"
                                + "+dev.allocline.Line#enabled=true,dumponexit=true,filename=" + file,
                        "-cp", System.getProperty("java.class.path"), RecordedService.class.getName()));
        assertEquals(0, service.status(), service::toString);
        String[] line = service.out().lines().filter(l -> l.startsWith("line ")).findFirst()
                .orElseThrow(() -> new AssertionError(service.toString())).split(" ");
        String id = line[1];

        String request = OtherJdkRecordingTest.run(0, "request", id, file.toString());
        assertTrue(request.contains("request " + id + "  GET /e2e/{mib}"), request);
        assertTrue(request.contains("line: alloc_bytes=" + line[2] + " "), () -> "the line's exact figure: " + request);
        assertTrue(request.lines().anyMatch(l -> l.startsWith("  grizzly-http-server")), () -> "its stretch: " + request);
        String frame = BoundedHeapTest.topFrame(request);
        assertTrue(frame.endsWith("dev.allocline.testing.Allocate.bytes") || frame.endsWith("StartFlightRecordingTest$Work.run"),
                () -> "widest frame: " + request);
        String top = OtherJdkRecordingTest.run(0, "top", file.toString());
        assertTrue(top.contains("  " + id + " "), top);
    }
}
