package dev.allocline.spring.boot;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.micrometer.MicrometerSink;
import dev.allocline.profile.LocalDirectoryProfileStore;
import dev.allocline.profile.ProfileKind;
import dev.allocline.profile.S3ProfileStore;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Set;
import org.glassfish.jersey.server.ResourceConfig;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.boot.jersey.autoconfigure.JerseyAutoConfiguration;
import org.springframework.boot.jersey.autoconfigure.ResourceConfigCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * Registers allocline's {@link AllocLineFeature} on Boot's Jersey {@link ResourceConfig}, built from the
 * {@code allocline.*} properties ({@link AllocLineProperties}), the application's {@code MeterRegistry}
 * (the Micrometer sink) and {@code S3Client} (profiles to S3, with {@code allocline.profile.s3.bucket}),
 * then any {@link AllocLineBuilderCustomizer} beans. Backs off without Boot's Jersey integration, outside a
 * servlet web application, with {@code allocline.enabled=false}, and for an {@link AllocLineFeature} bean
 * of the application's own (which is then registered instead).
 */
@AutoConfiguration(before = JerseyAutoConfiguration.class)
@ConditionalOnClass({ResourceConfig.class, ResourceConfigCustomizer.class, AllocLineFeature.class})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnBooleanProperty(name = "allocline.enabled", matchIfMissing = true)
@EnableConfigurationProperties(AllocLineProperties.class)
public class AllocLineAutoConfiguration {

    private static final Log LOG = LogFactory.getLog(AllocLineAutoConfiguration.class);

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

    /** Registers the Feature on Boot's ResourceConfig, unless the application registered one itself. */
    @Bean
    public ResourceConfigCustomizer allocLineResourceConfigCustomizer(AllocLineFeature feature) {
        return config -> {
            if (config.isRegistered(AllocLineFeature.class)) {
                LOG.info("allocline: the application registered an AllocLineFeature itself; the auto-configured one "
                        + "is not registered (one line per request, not two)");
                return;
            }
            config.register(feature);
        };
    }

    static void apply(AllocLineProperties p, AllocLineFeature.Builder b) {
        PropertyMapper map = PropertyMapper.get();
        map.from(p.getDefaultSink()).to(b::defaultSink);
        map.from(p.getRequestIdHeader()).to(b::requestIdHeader);
        map.from(p.getLoggingContextKey()).to(b::loggingContextKey);
        map.from(p.getProcessAllocationDelta()).to(b::processAllocationDelta);
        map.from(p.getProcessAllocationSampleInterval()).to(b::processAllocationSampleInterval);
        map.from(p.getFailureLogPeriod()).to(b::failureLogPeriod);
        map.from(p.getSpanAttributes()).to(b::spanAttributes);
        if (!p.getApplicationPackages().isEmpty()) {
            b.applicationPackages(p.getApplicationPackages().toArray(new String[0]));
        }
        if (!p.getSkipRoutes().isEmpty()) {
            Set<String> routes = Set.copyOf(p.getSkipRoutes());
            b.skip(line -> routes.contains(line.httpRoute()));
        }
        AllocLineProperties.Profile profile = p.getProfile();
        map.from(profile.getThreshold()).as(s -> s.toBytes()).to(b::profileThresholdBytes);
        map.from(profile.getCooldown()).to(b::profileCooldown);
        map.from(profile.getEnvironment()).to(b::environment);
        map.from(profile.getKind()).as(k -> k == AllocLineProperties.Kind.HEAP_DUMP ? ProfileKind.HEAP_DUMP
                : ProfileKind.JFR).to(b::profileKind);
        map.from(profile.getTempDirectory()).to(b::profileTempDirectory);
        map.from(profile.getMaxDisk()).as(s -> s.toBytes()).to(b::profileMaxDiskBytes);
        map.from(profile.getJfrThrottle()).to(b::jfrThrottle);
        if (profile.getJfrMaxAge() != null || profile.getJfrMaxSize() != null) {
            // one builder call sets both: keep the library's default for the one not given
            b.jfrRetention(profile.getJfrMaxAge() != null ? profile.getJfrMaxAge() : java.time.Duration.ofMinutes(5),
                    profile.getJfrMaxSize() != null ? profile.getJfrMaxSize().toBytes() : 64L << 20);
        }
        map.from(profile.getHeapDumpLive()).to(b::heapDumpLive);
        map.from(profile.getShutdownTimeout()).to(b::shutdownTimeout);
        map.from(profile.getDirectory()).as(LocalDirectoryProfileStore::new).to(b::profileStore);
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
