package dev.allocline.quarkus.deployment;

import dev.allocline.internal.AllocLineSettings;
import dev.allocline.internal.accounting.AllocLineRuntime;
import dev.allocline.internal.accounting.Request;
import dev.allocline.internal.accounting.ThreadWork;
import dev.allocline.profile.ProfileKind;
import dev.allocline.quarkus.runtime.RequestCarrier;
import io.smallrye.common.vertx.VertxContext;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;

/**
 * Question: what does the extension add to one Vert.x dispatch ({@code beginDispatch()} then
 * {@code endDispatch(previous)}) on a duplicated context? One operation is one dispatch's begin and end, exactly as
 * {@code ContextInternal.dispatch} and {@code ContextImpl.emit} make them around a handler, with an empty handler.
 * {@code vertx}: Vert.x's own class, as without the extension. {@code none}: the class as the build transforms it
 * ({@link DispatchBracket}, the same visitor, applied here before Vert.x loads it), on a context carrying no request
 * (every context of an application with allocline off, every non-request dispatch). {@code request}: a context carrying
 * an open request, the dispatch outermost on its thread (a timer or a client callback fired from the event loop): a
 * segment opened and closed, two counter reads, the request id put in and taken out of the MDC. {@code nested}: the
 * same inside an outer dispatch of the same request (a future or an emit inside a callback): joins its segment.
 *
 * <p>What could make the number lie: the JMH thread is not a Vert.x thread, so Vert.x takes its slower path for
 * foreign threads (a thread-local lookup in begin and end) in every variant: compare differences, not absolutes, with
 * {@code vertx}. The MDC is Quarkus' own (VertxMDC, in the duplicated context's local data), installed here as Quarkus
 * installs it at start. The request never ends, so its bookkeeping stays in cache.
 * Run: {@code java -cp <test class path> org.openjdk.jmh.Main DispatchHookBenchmark} (the command in docs/quarkus.md).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
@State(Scope.Thread)
public class DispatchHookBenchmark {

    @Param({"vertx", "none", "request", "nested"})
    public String context;

    /** The MDC key, as {@code quarkus.allocline.logging-context}; {@code off} to see what the MDC itself costs. */
    @Param({"request_id"})
    public String mdc;

    private Vertx vertx;
    private ContextInternal duplicated;
    /** An event loop's own context, and a duplicated context of it (carrying the same request as the variant's). */
    private ContextInternal eventLoop;
    private ContextInternal onLoop;
    private Request request;
    private AllocLineRuntime runtime;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        if (!context.equals("vertx")) {
            defineTransformed(); // before anything loads Vert.x's own DuplicatedContext
        }
        // Quarkus' MDC: kept in the current duplicated context's local data (VertxMDC), as Quarkus installs it at start.
        io.quarkus.vertx.mdc.provider.LateBoundMDCProvider.setMDCProviderDelegate(io.quarkus.vertx.core.runtime.VertxMDC.INSTANCE);
        vertx = Vertx.vertx();
        duplicated = ((ContextInternal) vertx.getOrCreateContext()).duplicate();
        eventLoop = ((io.vertx.core.impl.VertxInternal) vertx).createEventLoopContext();
        onLoop = eventLoop.duplicate();
        if (!context.equals("vertx") != (duplicated instanceof RequestCarrier)) {
            throw new IllegalStateException("the duplicated context is not as the variant needs: " + duplicated.getClass());
        }
        if (context.equals("request") || context.equals("nested")) {
            // As the extension makes it (AllocLineRecorder): the MDC is shared by the request, and its own in its context.
            runtime = new AllocLineRuntime(settings(mdc.equals("off") ? null : mdc), VertxContext::isOnDuplicatedContext,
                    r -> {
                        io.vertx.core.Context c = Vertx.currentContext();
                        return c instanceof RequestCarrier && ((RequestCarrier) c).allocline$request() == r;
                    });
            request = new Request(runtime, "benchmark", Request.Sight.EVERY_STRETCH);
            ((RequestCarrier) duplicated).allocline$request(request);
            ((RequestCarrier) onLoop).allocline$request(request);
            if (context.equals("nested")) {
                ContextInternal unused = duplicated.beginDispatch(); // the outer dispatch, open for the whole trial
                if (ThreadWork.current() != request) {
                    throw new IllegalStateException("the outer dispatch did not enter the request");
                }
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (request != null) {
            request.finish(true);
        }
        vertx.close();
    }

    /** One dispatch on the duplicated context: its begin and its end, around an empty handler. */
    @Benchmark
    public ContextInternal dispatch() {
        ContextInternal previous = duplicated.beginDispatch();
        duplicated.endDispatch(previous);
        return previous;
    }

    /** Dispatches per {@link #onTheEventLoop} operation: the hand-over to the event loop and back is spread over them. */
    static final int BATCH = 10_000;

    /**
     * The same on the event loop itself, as a reactive request's callbacks are: {@link #BATCH} dispatches with an empty
     * handler on the duplicated context per call, from a task of the event loop's own context (so each is outermost for
     * the request, like a timer firing), or for {@code nested} from inside one dispatch on the duplicated context.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void onTheEventLoop() throws Exception {
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        io.vertx.core.Handler<Void> batch = v -> {
            for (int i = 0; i < BATCH; i++) {
                onLoop.dispatch(EMPTY);
            }
            done.complete(null);
        };
        eventLoop.runOnContext(context.equals("nested") ? v -> onLoop.dispatch(batch) : batch);
        done.get();
    }

    private static final io.vertx.core.Handler<Void> EMPTY = v -> {
    };

    private static void defineTransformed() throws Exception {
        byte[] original;
        try (InputStream in = Vertx.class.getClassLoader().getResourceAsStream("io/vertx/core/impl/DuplicatedContext.class")) {
            original = in.readAllBytes();
        }
        ClassWriter out = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        new ClassReader(original).accept(new DispatchBracket(out), 0);
        Class<?> base = Class.forName("io.vertx.core.impl.ContextBase");
        MethodHandles.privateLookupIn(base, MethodHandles.lookup()).defineClass(out.toByteArray());
    }

    private static AllocLineSettings settings(String mdcKey) {
        // As the extension's defaults: no profile, the request id in the MDC, no process-wide delta; no sink.
        return new AllocLineSettings(List.of(), false, Duration.ofMillis(1), Duration.ofMinutes(1), 0, null,
                Duration.ofMinutes(5), "default", ProfileKind.JFR, Path.of("target/never"), 1L << 30, "300/s",
                Duration.ofMinutes(5), 1L << 20, true, Duration.ofSeconds(1), List.of(), null, mdcKey, null, false);
    }
}
