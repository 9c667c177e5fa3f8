package dev.allocline.jersey;

import dev.allocline.AllocLineBuilder;
import dev.allocline.internal.AllocLineSettings;
import dev.allocline.internal.accounting.AllocLineRuntime;
import jakarta.ws.rs.core.Feature;
import jakarta.ws.rs.core.FeatureContext;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registers allocline in a Jersey application: one canonical line per request with the bytes that
 * request allocated, on every thread it touched, including writing the response entity.
 *
 * <pre>{@code
 * ResourceConfig config = new ResourceConfig(MyResource.class)
 *         .register(AllocLineFeature.builder().build());
 * }</pre>
 *
 * The line is emitted after Jersey wrote the response ({@code RequestEvent.FINISHED}), because the
 * entity is serialised after every response filter: a filter-only design would miss exactly the
 * allocations of a large JSON body. Nothing the Feature does can change a response: every failure
 * inside it is contained and logged at most once a minute per cause. Its settings are immutable once
 * built; one instance may be registered in several applications, each getting its own runtime, which
 * starts when Jersey has built the application and stops when Jersey destroys it, or at {@link #stop()}.
 */
public final class AllocLineFeature implements Feature {

    private final AllocLineSettings settings;
    /** The runtimes of the applications this Feature configured that Jersey has not destroyed yet. */
    private final Set<AllocLineRuntime> runtimes = ConcurrentHashMap.newKeySet();
    private volatile boolean stopped;

    private AllocLineFeature(AllocLineBuilder.Validated validated) {
        this.settings = AllocLineSettings.of(validated);
    }

    /**
     * A builder with the defaults: lines to the logging API found on the class path (Log4j2, else SLF4J
     * 2), the request id in the logging context under {@code request_id}, the process-wide delta on.
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public boolean configure(FeatureContext context) {
        // A fresh runtime per application: each has its own lifecycle (sampler lease, recording).
        AllocLineRuntime runtime = new AllocLineRuntime(settings);
        runtimes.add(runtime);
        if (stopped) {
            runtime.stop(); // added before the check: a concurrent stop() either sees it or is seen here
        }
        context.register(new AllocLineEventListener(runtime, () -> runtimes.remove(runtime)));
        return true;
    }

    /**
     * Stops the background work of every application this Feature is registered in (the process-wide
     * sampler's lease, the profile recording and thread, waiting up to {@code shutdownTimeout} for an
     * upload in flight), for a container that has a lifecycle of its own, such as Dropwizard's
     * {@code Managed}. Jersey's destroy of an application does the same; whichever comes first stops it,
     * the other finds it stopped. Lines of requests still in flight are still written. An application
     * configured after this never starts its background work. Called by the container's shutdown
     * thread; idempotent; blocks at most {@code shutdownTimeout}.
     */
    public void stop() {
        stopped = true;
        for (AllocLineRuntime runtime : runtimes) {
            runtime.stop();
            runtimes.remove(runtime);
        }
    }

    /** Settings of an {@link AllocLineFeature}: every setting is an {@link AllocLineBuilder}'s. */
    public static final class Builder extends AllocLineBuilder<Builder, AllocLineFeature> {
        private Builder() {
            super("AllocLineFeature", AllocLineFeature::new);
        }
    }
}
