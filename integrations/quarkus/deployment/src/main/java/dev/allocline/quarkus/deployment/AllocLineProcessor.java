package dev.allocline.quarkus.deployment;

import dev.allocline.quarkus.runtime.AllocLineRecorder;
import io.quarkus.arc.deployment.BeanContainerBuildItem;
import io.quarkus.arc.deployment.UnremovableBeanBuildItem;
import io.quarkus.deployment.Capabilities;
import io.quarkus.deployment.Capability;
import io.quarkus.deployment.annotations.BuildStep;
import io.quarkus.deployment.annotations.ExecutionTime;
import io.quarkus.deployment.annotations.Record;
import io.quarkus.deployment.builditem.BytecodeTransformerBuildItem;
import io.quarkus.deployment.builditem.FeatureBuildItem;
import io.quarkus.deployment.builditem.ShutdownContextBuildItem;
import io.quarkus.vertx.http.deployment.FilterBuildItem;
import org.jboss.jandex.DotName;

/**
 * allocline's build steps: Quarkus REST's request context gets a {@code run()} that brackets each run of a
 * request's handler chain as a stretch of work for it on its thread ({@link RunBracket}), Vert.x's duplicated
 * context brackets each dispatch on a request's context the same way ({@link DispatchBracket}), and a route
 * filter that runs before every other begins each request and writes its line when the response ends.
 */
class AllocLineProcessor {

    private static final String FEATURE = "allocline";

    /**
     * Before CORS (300) and authentication (200): a request they answer (a refused preflight, a 401) gets its
     * line, and their work counts for it.
     */
    static final int FILTER_PRIORITY = 1000;

    @BuildStep
    FeatureBuildItem feature() {
        return new FeatureBuildItem(FEATURE);
    }

    @BuildStep
    BytecodeTransformerBuildItem followRuns() {
        return new BytecodeTransformerBuildItem(RunBracket.CONTEXT, (name, next) -> new RunBracket(next));
    }

    @BuildStep
    BytecodeTransformerBuildItem followDispatches() {
        return new BytecodeTransformerBuildItem(DispatchBracket.CONTEXT, (name, next) -> new DispatchBracket(next));
    }

    @BuildStep
    UnremovableBeanBuildItem beansAllocLineLooksUp() {
        // Looked up programmatically at start, so ArC must keep them even when nothing injects them.
        return UnremovableBeanBuildItem.beanTypes(DotName.createSimple("io.micrometer.core.instrument.MeterRegistry"),
                DotName.createSimple("software.amazon.awssdk.services.s3.S3Client"));
    }

    @BuildStep
    @Record(ExecutionTime.RUNTIME_INIT)
    FilterBuildItem requestStart(AllocLineRecorder recorder, ShutdownContextBuildItem shutdown,
            BeanContainerBuildItem beans, Capabilities capabilities) {
        return new FilterBuildItem(recorder.start(shutdown, capabilities.isPresent(Capability.METRICS)),
                FILTER_PRIORITY);
    }
}
