package dev.allocline.spring.boot;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.micrometer.MicrometerSink;
import dev.allocline.profile.LocalDirectoryProfileStore;
import dev.allocline.profile.ProfileKind;
import dev.allocline.profile.S3ProfileStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.glassfish.jersey.server.ResourceConfig;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * What the auto-configurations for Boot 4 ({@link AllocLineAutoConfiguration}) and Boot 3.5
 * ({@link AllocLineBoot3AutoConfiguration}) share: the {@link AllocLineFeature} bean built from the
 * {@code allocline.*} properties, the application's {@code MeterRegistry} (the Micrometer sink) and
 * {@code S3Client} (profiles to S3, with {@code allocline.profile.s3.bucket}), then any
 * {@link AllocLineBuilderCustomizer} beans; and its registration on a {@link ResourceConfig}. Uses only API
 * that both Boot generations have. Imported by those two only; called on the thread that creates the context.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(AllocLineProperties.class)
class AllocLineFeatureConfiguration {

    private static final Log LOG = LogFactory.getLog(AllocLineFeatureConfiguration.class);

    /**
     * The Feature, validated here: a bad property fails the start naming the builder setting and the
     * property prefix.
     */
    @Bean
    @ConditionalOnMissingBean
    public AllocLineFeature allocLineFeature(AllocLineProperties properties,
            ObjectProvider<AllocLineBuilderCustomizer> customizers) {
        AllocLineFeature.Builder builder = AllocLineFeature.builder();
        apply(properties, builder);
        customizers.orderedStream().forEach(c -> c.customize(builder));
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("allocline.* properties: " + e.getMessage(), e);
        }
    }

    /** Registers {@code feature} on {@code config}, unless the application registered one itself. */
    static void register(ResourceConfig config, AllocLineFeature feature) {
        if (config.isRegistered(AllocLineFeature.class)) {
            LOG.info("allocline: the application registered an AllocLineFeature itself; the auto-configured one "
                    + "is not registered (one line per request, not two)");
            return;
        }
        config.register(feature);
    }

    static void apply(AllocLineProperties p, AllocLineFeature.Builder b) {
        // Not Boot's PropertyMapper: Boot 4 skips null values by default, Boot 3 passes them on.
        set(p.getDefaultSink(), b::defaultSink);
        set(p.getRequestIdHeader(), b::requestIdHeader);
        set(p.getLoggingContextKey(), b::loggingContextKey);
        set(p.getProcessAllocationDelta(), b::processAllocationDelta);
        set(p.getProcessAllocationSampleInterval(), b::processAllocationSampleInterval);
        set(p.getFailureLogPeriod(), b::failureLogPeriod);
        set(p.getSpanAttributes(), b::spanAttributes);
        if (!p.getApplicationPackages().isEmpty()) {
            b.applicationPackages(p.getApplicationPackages().toArray(new String[0]));
        }
        if (!p.getSkipRoutes().isEmpty()) {
            Set<String> routes = Set.copyOf(p.getSkipRoutes());
            b.skip(line -> routes.contains(line.httpRoute()));
        }
        AllocLineProperties.Profile profile = p.getProfile();
        set(profile.getThreshold() == null ? null : profile.getThreshold().toBytes(), b::profileThresholdBytes);
        set(profile.getCooldown(), b::profileCooldown);
        set(profile.getEnvironment(), b::environment);
        set(profile.getKind() == null ? null : profile.getKind() == AllocLineProperties.Kind.HEAP_DUMP
                ? ProfileKind.HEAP_DUMP : ProfileKind.JFR, b::profileKind);
        set(profile.getTempDirectory(), b::profileTempDirectory);
        set(profile.getMaxDisk() == null ? null : profile.getMaxDisk().toBytes(), b::profileMaxDiskBytes);
        set(profile.getJfrThrottle(), b::jfrThrottle);
        if (profile.getJfrMaxAge() != null || profile.getJfrMaxSize() != null) {
            // one builder call sets both: keep the library's default for the one not given
            b.jfrRetention(profile.getJfrMaxAge() != null ? profile.getJfrMaxAge() : java.time.Duration.ofMinutes(5),
                    profile.getJfrMaxSize() != null ? profile.getJfrMaxSize().toBytes() : 64L << 20);
        }
        set(profile.getHeapDumpLive(), b::heapDumpLive);
        set(profile.getShutdownTimeout(), b::shutdownTimeout);
        set(profile.getDirectory() == null ? null : new LocalDirectoryProfileStore(profile.getDirectory()), b::profileStore);
    }

    private static <T> void set(T value, Consumer<T> setting) {
        if (value != null) {
            setting.accept(value);
        }
    }

    /** Each request's bytes into the application's MeterRegistry, when Micrometer and allocline-micrometer are there. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({MeterRegistry.class, MicrometerSink.class})
    @ConditionalOnBooleanProperty(name = "allocline.metrics.enabled", matchIfMissing = true)
    static class Metrics {

        // Ordered first among customizers so an application's own can still replace the sinks' order.
        @Bean
        @Order(0)
        AllocLineBuilderCustomizer allocLineMicrometerSink(ObjectProvider<MeterRegistry> registry) {
            // Looked up when the Feature is built, not by condition: Boot defines its registries in
            // auto-configurations that may be processed after this one.
            return builder -> registry.ifUnique(r -> builder.sink(new MicrometerSink(r)));
        }
    }

    /** Profiles to S3 through the application's S3Client bean, when a bucket is configured. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(S3Client.class)
    @ConditionalOnProperty(name = "allocline.profile.s3.bucket")
    static class S3Profiles {

        @Bean
        @Order(0)
        AllocLineBuilderCustomizer allocLineS3ProfileStore(ObjectProvider<S3Client> client,
                AllocLineProperties properties) {
            return builder -> {
                S3Client s3 = client.getIfUnique();
                if (s3 == null) {
                    throw new IllegalStateException("allocline.profile.s3.bucket is set but the context has no single "
                            + "S3Client bean; define one (or remove the property)");
                }
                AllocLineProperties.S3 conf = properties.getProfile().getS3();
                S3ProfileStore.Builder store = S3ProfileStore.builder().client(s3).bucket(conf.getBucket());
                if (conf.getKmsKeyId() != null) {
                    store.serverSideEncryption(ServerSideEncryption.AWS_KMS).kmsKeyId(conf.getKmsKeyId());
                }
                try {
                    builder.profileStore(store.build());
                } catch (IllegalArgumentException e) {
                    throw new IllegalStateException("allocline.profile.s3.*: " + e.getMessage(), e);
                }
            };
        }
    }

}
