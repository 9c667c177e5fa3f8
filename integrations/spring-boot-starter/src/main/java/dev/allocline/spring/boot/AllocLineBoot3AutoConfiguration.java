package dev.allocline.spring.boot;

import dev.allocline.jersey.AllocLineFeature;
import org.glassfish.jersey.server.ResourceConfig;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * Boot 3.5 (Jersey 3.1, Jakarta REST 3.1): the same {@link AllocLineFeature} as on Boot 4
 * ({@link AllocLineFeatureConfiguration}), registered on the application's {@link ResourceConfig} bean when
 * that bean is initialised, which is before Boot 3's {@code JerseyAutoConfiguration} builds its servlet from
 * it. (Not through Boot 3's {@code ResourceConfigCustomizer}: this module is compiled against Boot 4, where
 * that interface lives in another package; the registration is the same.) Backs off on Boot 4 (whose
 * {@link AllocLineAutoConfiguration} applies instead), outside a servlet web application and with
 * {@code allocline.enabled=false}. Called on the thread that creates the context.
 */
@AutoConfiguration(beforeName = AllocLineBoot3AutoConfiguration.BOOT3_JERSEY)
@ConditionalOnClass(name = {AllocLineBoot3AutoConfiguration.BOOT3_JERSEY, "org.glassfish.jersey.server.ResourceConfig",
        "dev.allocline.jersey.AllocLineFeature"})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnBooleanProperty(name = "allocline.enabled", matchIfMissing = true)
@Import(AllocLineFeatureConfiguration.class)
public class AllocLineBoot3AutoConfiguration {

    static final String BOOT3_JERSEY = "org.springframework.boot.autoconfigure.jersey.JerseyAutoConfiguration";

    /**
     * Registers the Feature on each {@link ResourceConfig} bean (a Boot application has one) once it is
     * initialised. Static, and the Feature looked up only then, so that no bean is created early for it.
     */
    @Bean
    static BeanPostProcessor allocLineResourceConfigRegistrar(ObjectProvider<AllocLineFeature> feature) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                if (bean instanceof ResourceConfig) {
                    AllocLineFeatureConfiguration.register((ResourceConfig) bean, feature.getObject());
                }
                return bean;
            }
        };
    }
}
