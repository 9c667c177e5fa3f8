package dev.allocline.spring.boot3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.spring.boot.AllocLineBoot3AutoConfiguration;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jersey.JerseyAutoConfiguration;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/**
 * On Boot 3.5 the Boot 3 auto-configuration registers the Feature once on the application's ResourceConfig,
 * before Boot's Jersey auto-configuration builds its servlet, and not with {@code allocline.enabled=false}.
 */
class Boot3AutoConfigurationTest {

    // Boot 4's AllocLineAutoConfiguration is not listed: named by class it would be loaded whatever its
    // conditions say; from the imports file (as in an application, StructuredLoggingTest here) it backs off.
    final WebApplicationContextRunner web = new WebApplicationContextRunner().withConfiguration(AutoConfigurations.of(
            AllocLineBoot3AutoConfiguration.class, JerseyAutoConfiguration.class))
            .withBean(ResourceConfig.class, ResourceConfig::new);

    @Test
    void thisClassPathIsBoot35() {
        assertThat(SpringBootVersion.getVersion()).startsWith("3.5.");
    }

    @Test
    void theFeatureIsRegisteredOnceOnTheApplicationsResourceConfig() {
        web.run(c -> {
            assertThat(c).hasNotFailed().hasSingleBean(AllocLineFeature.class);
            assertThat(c.getBean(ResourceConfig.class).getInstances()).filteredOn(AllocLineFeature.class::isInstance)
                    .containsExactly(c.getBean(AllocLineFeature.class));
        });
    }

    @Test
    void aFeatureTheApplicationRegisteredItselfIsNotRegisteredTwice() {
        new WebApplicationContextRunner().withConfiguration(AutoConfigurations.of(AllocLineBoot3AutoConfiguration.class,
                JerseyAutoConfiguration.class))
                .withBean(ResourceConfig.class, () -> new ResourceConfig().register(AllocLineFeature.builder().build()))
                .run(c -> assertThat(c.getBean(ResourceConfig.class).getInstances())
                        .filteredOn(AllocLineFeature.class::isInstance).hasSize(1));
    }

    @Test
    void enabledFalseRegistersNothing() {
        web.withPropertyValues("allocline.enabled=false").run(c -> {
            assertThat(c).hasNotFailed().doesNotHaveBean(AllocLineFeature.class);
            assertThat(c.getBean(ResourceConfig.class).getInstances()).noneMatch(AllocLineFeature.class::isInstance);
        });
    }
}
