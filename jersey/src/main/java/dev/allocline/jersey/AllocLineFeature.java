package dev.allocline.jersey;

import dev.allocline.AllocLineBuilder;
import dev.allocline.internal.AllocLineSettings;
import dev.allocline.internal.accounting.AllocLineRuntime;
import jakarta.ws.rs.core.Feature;
import jakarta.ws.rs.core.FeatureContext;

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
 * inside it is contained and logged at most once a minute per cause. Immutable once built; one
 * instance may be registered in several applications, each getting its own runtime.
 */
public final class AllocLineFeature implements Feature {

    private final AllocLineSettings settings;

    private AllocLineFeature(AllocLineSettings settings) {
        this.settings = settings;
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
        context.register(new AllocLineEventListener(new AllocLineRuntime(settings)));
        return true;
    }

    /** Settings of an {@link AllocLineFeature}: every setting is an {@link AllocLineBuilder}'s. */
    public static final class Builder extends AllocLineBuilder<Builder, AllocLineFeature> {
        private Builder() {
            super("AllocLineFeature", AllocLineFeature::new);
        }
    }
}
