package dev.allocline.spring.boot;

import dev.allocline.jersey.AllocLineFeature;

/**
 * A bean that adjusts the {@link AllocLineFeature} the auto-configuration builds, after the
 * {@code allocline.*} properties were applied and before {@code build()} validates them: add a sink, a
 * skip predicate, a profile store of your own. Called once, on the thread that creates the application
 * context, in {@link org.springframework.core.Ordered} order.
 */
@FunctionalInterface
public interface AllocLineBuilderCustomizer {

    /** Adjusts {@code builder}; do not call {@code build()}. */
    void customize(AllocLineFeature.Builder builder);
}
