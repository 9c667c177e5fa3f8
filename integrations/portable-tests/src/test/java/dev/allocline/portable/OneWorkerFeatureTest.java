package dev.allocline.portable;

import dev.allocline.jersey.AllocLineFeature;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link OneWorkerTest} with Jersey's {@code AllocLineFeature} as the entry point instead of the filter: the Feature
 * follows Jersey's request events, and its thread leaves the request when the method returns whatever the method is
 * declared to return ({@code CompletionStage}, {@code Object}, {@code Future}, {@code void} with {@code @Suspended}).
 * Jersey execution only.
 */
class OneWorkerFeatureTest extends OneWorkerTest {

    @BeforeAll
    static void startWithTheFeature() throws Exception {
        stop(); // the filter's server, started by the inherited @BeforeAll
        start(new ResourceConfig(Api.class).register(AllocLineFeature.builder().defaultSink(false)
                .requestIdHeader("X-Request-Id").sink(LINES::add).build()), null);
    }
}
