package dev.allocline.dropwizard;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.profile.LocalDirectoryProfileStore;
import io.dropwizard.core.Configuration;
import io.dropwizard.core.ConfiguredBundle;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * allocline on a Dropwizard service: registers {@link AllocLineFeature} on the service's Jersey
 * environment, configured by the {@code allocline:} block of its configuration ({@link AllocLineFactory}),
 * with a histogram per route in the service's {@code MetricRegistry}, profiles to a directory or to S3, and
 * a {@code Managed} object ({@link AllocLineLifecycle}) that ends allocline's background work and closes its S3
 * client when the service stops.
 *
 * <pre>{@code
 * bootstrap.addBundle(new AllocLineBundle<>(MyConfiguration::getAllocLine));
 * }</pre>
 *
 * With {@code dropwizard-json-logging} on the class path, {@link #initialize} makes the {@code json} layout
 * type {@link KeyValueJsonLayoutFactory}: Dropwizard's layout plus SLF4J 2 key-value pairs, so each line's
 * fields are JSON fields. The Feature's background parts (the process-wide sampler, the profile recording)
 * start when Jersey has initialised. Called by Dropwizard on its start-up thread.
 *
 * @param <C> the service's configuration type
 */
public final class AllocLineBundle<C extends Configuration> implements ConfiguredBundle<C> {

    private final Function<C, AllocLineFactory> settings;

    /** @param settings where the service's configuration holds its {@code allocline:} block (null: defaults) */
    public AllocLineBundle(Function<C, AllocLineFactory> settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /**
     * Registers {@link KeyValueJsonLayoutFactory} as the {@code json} layout type, before the configuration is
     * read: Jackson resolves a type name registered for two classes to the more specific one.
     */
    @Override
    public void initialize(Bootstrap<?> bootstrap) {
        if (JsonLogging.present()) {
            JsonLogging.register(bootstrap.getObjectMapper());
        }
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
        AutoCloseable s3Client = null;
        if (f.getProfileS3() != null) {
            if (!S3Profiles.sdkPresent()) {
                throw new IllegalStateException("allocline.profileS3 needs the AWS SDK's S3 client on the class path "
                        + "(software.amazon.awssdk:s3)");
            }
            S3Profiles.Built s3;
            try {
                s3 = S3Profiles.build(f.getProfileS3());
            } catch (RuntimeException e) {
                throw new IllegalStateException("allocline.profileS3: " + e.getMessage(), e);
            }
            b.profileStore(s3.store());
            s3Client = s3.client();
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
            closeQuietly(s3Client);
            throw new IllegalStateException("allocline: configuration block invalid: " + e.getMessage(), e);
        }
        environment.jersey().register(feature);
        environment.lifecycle().manage(new AllocLineLifecycle(feature, s3Client));
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // the start fails anyway, with the configuration error
            }
        }
    }
}
