package dev.allocline.benchmarks;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import org.glassfish.jersey.server.ContainerResponse;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Question: what do allocline's JFR events ({@code dev.allocline.Request}, one per stretch, and
 * {@code dev.allocline.Line}, one per line) cost per request when nothing records them, when a recording
 * runs without them, and when one records them?
 *
 * <p>Variants ({@code jfr}), each in forks of its own: {@code not_started} (JFR never initialized in the JVM:
 * the events are not even defined; one volatile read per stretch), {@code recording_without} (a recording of
 * an unrelated event runs, so JFR is initialized and the events are defined but disabled: a read of the
 * event type's state per stretch), {@code recording_with} (a recording enables both: two stretch events and
 * one line event committed per request, to JFR's disk repository). The request is the Feature's cheapest,
 * a hello-world GET in-process with no sink ({@link InProcessApp.Variant#accounting_only}), so the events'
 * share is as large as it can be.
 *
 * <p>What could make the number lie: {@code recording_without} also pays JFR's own periodic work (its
 * recorder thread wakes up once a second), so its difference from {@code not_started} is an upper bound
 * of the disabled check's cost; on 2 cores JFR's threads share the CPU with the benchmark thread. Run with
 * {@code -prof gc}: bytes per request are exact where time is noisy.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
public class StretchEventBenchmark {

    /** The hello-world resource. */
    @Path("/hello")
    public static class Hello {
        @GET
        @Produces(MediaType.TEXT_PLAIN)
        public String hello() {
            return "hello";
        }
    }

    @Param({"not_started", "recording_without", "recording_with"})
    public String jfr;

    private InProcessApp app;
    private Recording recording;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        if (!jfr.equals("not_started")) {
            recording = new Recording();
            recording.enable("jdk.CPULoad").withPeriod(Duration.ofSeconds(1));
            if (jfr.equals("recording_with")) {
                recording.enable("dev.allocline.Request");
                recording.enable("dev.allocline.Line");
            }
            recording.setToDisk(true);
            recording.setMaxAge(Duration.ofSeconds(30));
            recording.start();
        }
        app = new InProcessApp(InProcessApp.Variant.accounting_only, "/hello", Hello.class);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        app.close();
        if (recording != null) {
            recording.close();
        }
    }

    @Benchmark
    public ContainerResponse helloWorld() throws Exception {
        return app.get();
    }
}
