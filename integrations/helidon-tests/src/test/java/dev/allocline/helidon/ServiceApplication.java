package dev.allocline.helidon;

import dev.allocline.jersey.AllocLineFeature;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;
import java.util.Set;

/**
 * The service's JAX-RS application, found by Helidon MP's CDI (bean archive {@code META-INF/beans.xml}) as a Helidon
 * application declares it; allocline is registered the way docs/runtimes.md says for Jersey: the Feature, built once,
 * returned from {@link #getSingletons()} (Helidon MP hands the application to Jersey, which honours it).
 *
 * <p>The lines go to {@link #LINES}, a sink passed to the builder: Helidon MP logs through
 * {@code java.util.logging} and brings neither Log4j2 nor SLF4J, so allocline's default sink has no logging API to
 * write to ({@code HelidonMpServiceIT.theDefaultSinkNeedsALoggingApiHelidonDoesNotBring}).
 */
@ApplicationScoped
@ApplicationPath("/")
public class ServiceApplication extends Application {

    /** Every line the service wrote, by request id. */
    static final Lines LINES = new Lines();

    private final AllocLineFeature allocline = AllocLineFeature.builder()
            .requestIdHeader("X-Request-Id")
            .defaultSink(false)
            .sink(LINES)
            .build();

    @Override
    public Set<Class<?>> getClasses() {
        return Set.of(Api.class);
    }

    @Override
    public Set<Object> getSingletons() {
        return Set.of(allocline);
    }
}
