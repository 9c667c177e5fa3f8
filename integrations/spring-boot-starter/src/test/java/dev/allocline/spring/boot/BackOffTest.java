package dev.allocline.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.allocline.jersey.AllocLineFeature;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jersey.autoconfigure.ResourceConfigCustomizer;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/** Where the auto-configuration does not apply, it defines nothing; a bad property stops the start naming it. */
class BackOffTest {

    final WebApplicationContextRunner web = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(AllocLineAutoConfiguration.class));

    @Test
    void aServletApplicationWithBootsJerseyGetsTheFeatureAndItsCustomizer() {
        web.run(c -> assertThat(c).hasSingleBean(AllocLineFeature.class).hasSingleBean(ResourceConfigCustomizer.class));
    }

    @Test
    void withoutBootsJerseyIntegrationItBacksOff() {
        web.withClassLoader(new FilteredClassLoader(ResourceConfigCustomizer.class))
                .run(c -> assertThat(c).doesNotHaveBean(AllocLineFeature.class));
    }

    @Test
    void outsideAWebApplicationItBacksOff() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(AllocLineAutoConfiguration.class))
                .run(c -> assertThat(c).doesNotHaveBean(AllocLineFeature.class));
    }

    @Test
    void theApplicationsOwnFeatureBeanIsUsedInstead() {
        AllocLineFeature own = AllocLineFeature.builder().build();
        web.withBean(AllocLineFeature.class, () -> own).run(c -> assertThat(c.getBean(AllocLineFeature.class)).isSameAs(own));
    }

    @Test
    void aFeatureTheApplicationRegisteredOnItsResourceConfigIsNotRegisteredTwice() {
        web.run(c -> {
            ResourceConfig config = new ResourceConfig().register(AllocLineFeature.builder().build());
            c.getBean(ResourceConfigCustomizer.class).customize(config);
            assertThat(config.getInstances()).filteredOn(AllocLineFeature.class::isInstance).hasSize(1);
        });
    }

    @Test
    void aBadPropertyStopsTheStartNamingTheSetting() {
        web.withPropertyValues("allocline.request-id-header=not a header").run(c -> assertThat(c).hasFailed()
                .getFailure().rootCause().hasMessageContaining("requestIdHeader"));
    }

    @Test
    void aBucketWithoutAnS3ClientBeanStopsTheStart() {
        web.withPropertyValues("allocline.profile.s3.bucket=profiles", "allocline.profile.threshold=64MB")
                .run(c -> assertThat(c).hasFailed().getFailure().rootCause().hasMessageContaining("S3Client bean"));
    }

    @Test
    void theConfigurationMetadataListsTheProperties() throws Exception {
        try (var in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).isNotNull();
            String json = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(json).contains("\"allocline.request-id-header\"", "\"allocline.profile.s3.bucket\"",
                    "\"allocline.span-attributes\"", "\"allocline.enabled\"", "\"allocline.metrics.enabled\"");
        }
    }
}
