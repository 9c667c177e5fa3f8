package dev.allocline.benchmarks;

import dev.allocline.internal.AllocLineSettings;
import dev.allocline.internal.accounting.AllocLineRuntime;
import dev.allocline.internal.accounting.Request;
import dev.allocline.internal.accounting.ThreadWork;
import dev.allocline.profile.ProfileKind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
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
 * Question: what does the JFR stretch event's check cost one segment when no recording wants the event (#38:
 * "disabled, at most a few ns per segment")? {@link StretchEventBenchmark} measures whole requests, whose
 * ±1–3 µs intervals cannot resolve a few nanoseconds; this measures one segment alone: a thread enters an open
 * request and leaves it ({@code ThreadWork.enter}/{@code leave}: two counter reads, the request's monitor twice,
 * the stretch event's begin and end), nothing else, no logging context, no sink.
 *
 * <p>Variants ({@code jfr}), each in forks of its own as in {@link StretchEventBenchmark}: {@code not_started}
 * (JFR never initialised: one volatile read per segment), {@code recording_without} (a recording of an unrelated
 * event runs: the event type's state is read per segment), {@code recording_with} (the event is recorded: one
 * event committed per segment). The difference of the second from the first is the disabled check's cost (an
 * upper bound: JFR's own periodic threads run in the second).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
public class StretchCheckBenchmark {

    @Param({"not_started", "recording_without", "recording_with"})
    public String jfr;

    private Recording recording;
    private Request request;

    @Setup(Level.Trial)
    public void setUp() {
        if (!jfr.equals("not_started")) {
            recording = new Recording();
            recording.enable("jdk.CPULoad").withPeriod(Duration.ofSeconds(1));
            if (jfr.equals("recording_with")) {
                recording.enable("dev.allocline.Request");
            }
            recording.setToDisk(true);
            recording.setMaxAge(Duration.ofSeconds(30));
            recording.start();
        }
        // no sink, no profile, no logging context, no process-wide sampler: the segment and nothing else
        AllocLineRuntime runtime = new AllocLineRuntime(new AllocLineSettings(List.of(), false, Duration.ofMillis(1),
                Duration.ofMinutes(1), 0, null, Duration.ofMinutes(5), "default", ProfileKind.JFR,
                Path.of("target/never"), 1L << 30, "300/s", Duration.ofMinutes(5), 1L << 20, false,
                Duration.ofSeconds(1), List.of(), null, null, null, false));
        request = new Request(runtime, "benchmark", Request.Sight.EVERY_STRETCH);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (recording != null) {
            recording.close();
        }
    }

    @Benchmark
    public void segment() {
        ThreadWork.enter(request);
        ThreadWork.leave(request);
    }
}
