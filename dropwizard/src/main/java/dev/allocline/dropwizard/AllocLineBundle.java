package dev.allocline.dropwizard;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.profile.LocalDirectoryProfileStore;
import io.dropwizard.core.Configuration;
import io.dropwizard.core.ConfiguredBundle;
import io.dropwizard.core.setup.Environment;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * allocline on a Dropwizard service: registers {@link AllocLineFeature} on the service's Jersey
 * environment, configured by the {@code allocline:} block of its configuration ({@link AllocLineFactory}),
 * with a histogram per route in the service's {@code MetricRegistry}.
 *
 * <pre>{@code
 * bootstrap.addBundle(new AllocLineBundle<>(MyConfiguration::getAllocLine));
 * }</pre>
 *
 * The Feature's background parts (the process-wide sampler, the profile recording) start when Jersey has
 * initialised and stop when Jetty destroys the Jersey servlet, which Dropwizard does on shutdown; no
 * {@code Managed} object is needed for them. Called by Dropwizard on its start-up thread.
 *
 * @param <C> the service's configuration type
 */
public final class AllocLineBundle<C extends Configuration> implements ConfiguredBundle<C> {

    private final Function<C, AllocLineFactory> settings;

    /** @param settings where the service's configuration holds its {@code allocline:} block (null: defaults) */
    public AllocLineBundle(Function<C, AllocLineFactory> settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    @Override
    public void run(C configuration, Environment environment) {
        AllocLineFactory f = settings.apply(configuration);
        if (f == null) {
            f = new AllocLineFactory();
        }
        if (!f.isEnabled()) {
            return;
        }
        AllocLineFeature.Builder b = AllocLineFeature.builder();
        if (f.getRequestIdHeader() != null) {
            b.requestIdHeader(f.getRequestIdHeader());
        }
        if (f.getLoggingContextKey() != null) {
            b.loggingContextKey(f.getLoggingContextKey());
        }
        if (f.getProcessAllocationDelta() != null) {
            b.processAllocationDelta(f.getProcessAllocationDelta());
        }
        if (f.getFailureLogPeriod() != null) {
            b.failureLogPeriod(f.getFailureLogPeriod().toJavaDuration());
        }
        if (f.getSpanAttributes() != null) {
            b.spanAttributes(f.getSpanAttributes());
        }
        if (!f.getSkipRoutes().isEmpty()) {
            Set<String> routes = Set.copyOf(f.getSkipRoutes());
            b.skip(line -> routes.contains(line.httpRoute()));
        }
        if (f.getProfileThreshold() != null) {
            b.profileThresholdBytes(f.getProfileThreshold().toBytes());
        }
        if (f.getProfileDirectory() != null) {
            b.profileStore(new LocalDirectoryProfileStore(f.getProfileDirectory()));
        }
        if (f.getProfileCooldown() != null) {
            b.profileCooldown(f.getProfileCooldown().toJavaDuration());
        }
        if (f.getEnvironment() != null) {
            b.environment(f.getEnvironment());
        }
        if (f.isMetrics()) {
            b.sink(new RouteHistograms(environment.metrics()));
        }
        AllocLineFeature feature;
        try {
            feature = b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("allocline: configuration block invalid: " + e.getMessage(), e);
        }
        environment.jersey().register(feature);
    }
}
