package dev.allocline.portable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.internal.meter.ProcessAllocationSampler;
import dev.allocline.jaxrs.AllocLineFilter;
import dev.allocline.profile.LocalDirectoryProfileStore;
import jakarta.annotation.PreDestroy;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.SeBootstrap;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.Application;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import jdk.jfr.FlightRecorder;
import jdk.jfr.RecordingState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The portable filter's background parts (the continuous JFR recording, its lease on the JVM-wide sampler)
 * end when the application stops, through the hook each runtime really runs at stop, with nothing else
 * calling {@code close()}: on Jersey the {@code @PreDestroy} method of the {@code Application}; on CXF
 * nothing in the application ({@code allocline-cxf} stops the filters of a server CXF stops); on RESTEasy,
 * which calls nothing of the application at stop, the stage {@code SeBootstrap.Instance.stop()} returns.
 * Which hooks each runtime calls at stop is itself checked, so the README's table breaks with the runtime.
 */
class ApplicationStopTest {

    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** An application that closes its filter in a {@code @PreDestroy} method, as the README shows for Jersey. */
    public static final class ClosingApp extends Application {
        final AllocLineFilter filter;
        volatile boolean preDestroyed;

        ClosingApp(AllocLineFilter filter) {
            this.filter = filter;
        }

        @Override
        public Set<Object> getSingletons() {
            return Set.of(filter, new Ping());
        }

        @PreDestroy
        public void stop() {
            preDestroyed = true;
            filter.close();
        }
    }

    @Path("/ping")
    public static final class Ping {
        @GET
        public String ping() {
            return "pong";
        }
    }

    @Test
    void stoppingTheApplicationEndsTheFiltersBackgroundParts(@TempDir java.nio.file.Path dir) throws Exception {
        String runtime = PortableFilterTest.runtime();
        AllocLineFilter filter = AllocLineFilter.builder().defaultSink(false).sink(line -> { })
                .profileThresholdBytes(1L << 40).profileStore(new LocalDirectoryProfileStore(dir.resolve("store")))
                .profileTempDirectory(dir.resolve("tmp")).build();
        ClosingApp app = new ClosingApp(filter);
        int recordings = runningAlloclineRecordings();
        int leases = ProcessAllocationSampler.leases();
        SeBootstrap.Instance instance = start(app);
        assertEquals(200, get(instance, "/ping").statusCode());
        // the first request started the background parts
        assertEquals(recordings + 1, runningAlloclineRecordings(), "the filter's JFR recording runs");
        assertEquals(leases + 1, ProcessAllocationSampler.leases(), "the filter holds a lease on the sampler");

        CompletionStage<?> stopped = instance.stop();
        if (runtime.equals("resteasy")) {
            stopped = stopped.thenRun(filter::close); // the README's hook: RESTEasy calls nothing at stop
        }
        stopped.toCompletableFuture().get(30, TimeUnit.SECONDS);

        waitFor("the filter's JFR recording to stop", () -> runningAlloclineRecordings() == recordings);
        waitFor("the filter's lease on the sampler to be returned", () -> ProcessAllocationSampler.leases() == leases);
        if (leases == 0) {
            waitFor("the sampler thread to end", () -> Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(t -> t.getName().equals("allocline-total-alloc-sampler")));
        }
        assertEquals(runtime.equals("jersey"), app.preDestroyed, "the Application's @PreDestroy ran on " + runtime);
    }

    /** Records which of its hooks a runtime calls when the application stops. */
    static final List<String> CALLS = new CopyOnWriteArrayList<>();

    /** A provider registered as an instance: does the runtime call its {@code @PreDestroy} or {@code close()}? */
    public static final class InstanceProvider implements ContainerRequestFilter, AutoCloseable {
        @Override
        public void filter(ContainerRequestContext ctx) {
        }

        @PreDestroy
        public void preDestroy() {
            CALLS.add("instance @PreDestroy");
        }

        @Override
        public void close() {
            CALLS.add("instance close()");
        }
    }

    /** A provider registered as a class: the runtime creates it, and may call its {@code @PreDestroy}. */
    public static final class ClassProvider implements ContainerRequestFilter {
        @Override
        public void filter(ContainerRequestContext ctx) {
        }

        @PreDestroy
        public void preDestroy() {
            CALLS.add("class @PreDestroy");
        }
    }

    public static final class HookedApp extends Application {
        @Override
        public Set<Object> getSingletons() {
            return Set.of(new InstanceProvider(), new Ping());
        }

        @Override
        public Set<Class<?>> getClasses() {
            return Set.of(ClassProvider.class);
        }

        @PreDestroy
        public void preDestroy() {
            CALLS.add("Application @PreDestroy");
        }
    }

    /**
     * What each runtime calls at stop (Jersey 4.0.2, RESTEasy 7.0.1, CXF 4.2.3 through {@code SeBootstrap}):
     * only Jersey calls any {@code @PreDestroy}, the Application's and those of provider classes it created;
     * none calls {@code @PreDestroy} or {@code close()} on a provider registered as an instance, which is how
     * the filter is registered (it is built, not created by the runtime).
     */
    @Test
    void whatEachRuntimeCallsWhenTheApplicationStops() throws Exception {
        String runtime = PortableFilterTest.runtime();
        CALLS.clear();
        SeBootstrap.Instance instance = start(new HookedApp());
        assertEquals(200, get(instance, "/ping").statusCode());
        instance.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
        List<String> expected = runtime.equals("jersey") ? List.of("Application @PreDestroy", "class @PreDestroy")
                : List.of();
        assertEquals(expected, CALLS.stream().sorted().toList(), "hooks called at stop on " + runtime);
    }

    private static SeBootstrap.Instance start(Application app) throws Exception {
        return SeBootstrap.start(app, SeBootstrap.Configuration.builder().protocol("HTTP").host("127.0.0.1")
                .port(SeBootstrap.Configuration.FREE_PORT).rootPath("/api").build())
                .toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    private static HttpResponse<String> get(SeBootstrap.Instance instance, String path) throws Exception {
        String base = instance.configuration().baseUri().toString();
        URI uri = URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + path);
        return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int runningAlloclineRecordings() {
        return (int) FlightRecorder.getFlightRecorder().getRecordings().stream()
                .filter(r -> r.getName().equals("allocline") && r.getState() == RecordingState.RUNNING).count();
    }

    private static void waitFor(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() - deadline < 0, "timed out waiting for " + what);
            Thread.sleep(5);
        }
    }
}
