package dev.allocline.benchmarks;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.concurrent.TimeUnit;
import org.glassfish.jersey.server.ContainerResponse;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Question: what does the whole Feature cost per request, on the cheapest request there is — a
 * hello-world GET handled in-process by Jersey, no network — and how does that change with 1–100
 * threads issuing requests at once?
 *
 * <p>Variants ({@code variant}): Jersey alone; Jersey with an empty event listener (Jersey's own cost
 * of building request events once anyone listens); the Feature with no sink (the accounting: baseline,
 * thread segments, counter reads, the line record); the Feature logging through Log4j2 into a Null
 * appender (plus formatting and dispatch); and into a real file; the Feature with only the Micrometer
 * sink. Beside them, the peers a user would pick instead: Micrometer's Jersey instrumentation (a timer
 * per request) and Jersey's LoggingFeature at its default verbosity into a discarding handler. The
 * overhead is the difference from {@code baseline} at the same thread count, measured in the same run
 * with the same JVM settings.
 *
 * <p>What could make the number lie: the response is returned (consumed by JMH), so Jersey's work
 * cannot be eliminated; each variant runs in its own fork with its own Log4j2 configuration, so
 * appender state does not leak between variants; over 2 threads on this 2-core machine the requests
 * are time-sliced, which inflates every variant alike.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class FilterOverheadBenchmark {

    /** The hello-world resource. */
    @Path("/hello")
    public static class Hello {
        @GET
        @Produces(MediaType.TEXT_PLAIN)
        public String hello() {
            return "hello";
        }
    }

    @Param({"baseline", "jersey_events_only", "accounting_only", "accounting_no_context", "log4j_noop", "log4j_file",
            "micrometer_sink",
            "peer_jersey_micrometer", "peer_logging_feature"})
    public String variant;

    private InProcessApp app;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        app = new InProcessApp(InProcessApp.Variant.valueOf(variant), "/hello", Hello.class);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        app.close();
    }

    @Benchmark
    public ContainerResponse helloWorld() throws Exception {
        return app.get();
    }
}
