package dev.allocline.spring.boot;

import dev.allocline.jersey.AllocLineFeature;
import org.glassfish.jersey.server.ResourceConfig;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.jersey.autoconfigure.JerseyAutoConfiguration;
import org.springframework.boot.jersey.autoconfigure.ResourceConfigCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * Boot 4: registers allocline's {@link AllocLineFeature} on Boot's Jersey {@link ResourceConfig} through a
 * {@link ResourceConfigCustomizer} (Boot 4's, in {@code org.springframework.boot.jersey.autoconfigure}), the
 * Feature built from the {@code allocline.*} properties ({@link AllocLineProperties}), the application's
 * {@code MeterRegistry} (the Micrometer sink) and {@code S3Client} (profiles to S3, with
 * {@code allocline.profile.s3.bucket}), then any {@link AllocLineBuilderCustomizer} beans. Backs off without
 * Boot's Jersey integration, outside a servlet web application, with {@code allocline.enabled=false}, and for
 * an {@link AllocLineFeature} bean of the application's own (which is then registered instead).
 */
@AutoConfiguration(before = JerseyAutoConfiguration.class)
@ConditionalOnClass({ResourceConfig.class, ResourceConfigCustomizer.class, AllocLineFeature.class})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnBooleanProperty(name = "allocline.enabled", matchIfMissing = true)
@Import(AllocLineFeatureConfiguration.class)
public class AllocLineAutoConfiguration {

    /** Registers the Feature on Boot's ResourceConfig, unless the application registered one itself. */
    @Bean
    public ResourceConfigCustomizer allocLineResourceConfigCustomizer(AllocLineFeature feature) {
        return config -> AllocLineFeatureConfiguration.register(config, feature);
    }
}
