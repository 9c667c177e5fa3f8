package dev.allocline.quarkus.runtime;

import dev.allocline.internal.AllocLineSettings;
import dev.allocline.internal.accounting.AllocLineRuntime;
import dev.allocline.line.CanonicalLineSink;
import dev.allocline.profile.ProfileStore;
import io.quarkus.arc.Arc;
import io.quarkus.arc.InstanceHandle;
import io.quarkus.runtime.ShutdownContext;
import io.quarkus.runtime.annotations.Recorder;
import io.smallrye.config.SmallRyeConfig;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Starts allocline with the application (runtime init) and stops it with the application's shutdown:
 * settings from {@code quarkus.allocline.*}, the line to Quarkus' logging, the Micrometer sink on
 * quarkus-micrometer's registry when the application has it, profiles to the application's
 * {@code S3Client} bean when {@code profile.s3-bucket} is set.
 */
@Recorder
public class AllocLineRecorder {

    /** The application's runtime; one per application (Quarkus runs one application per class loader). */
    private static volatile AllocLineRuntime runtime;

    static AllocLineRuntime runtime() {
        return runtime;
    }

    /**
     * The route filter that begins every request, or a pass-through one when {@code quarkus.allocline.enabled}
     * is false.
     *
     * @param micrometer whether a metrics extension (quarkus-micrometer) is in the application
     */
    public Handler<RoutingContext> start(ShutdownContext shutdown, boolean micrometer) {
        AllocLineConfig config = ConfigProvider.getConfig().unwrap(SmallRyeConfig.class).getConfigMapping(AllocLineConfig.class);
        if (!config.enabled()) {
            return RoutingContext::next;
        }
        List<CanonicalLineSink> sinks = new ArrayList<>();
        sinks.add(new JBossLogSink(config.loggerName()));
        if (micrometer) {
            try {
                CanonicalLineSink meters = MicrometerSinks.fromContainer();
                if (meters != null) {
                    sinks.add(meters);
                }
            } catch (NoClassDefFoundError e) {
                // a metrics extension other than quarkus-micrometer: no registry to write to
            }
        }
        AllocLineSettings settings = QuarkusSettings.from(config, sinks, AllocLineRecorder::s3Store);
        // Quarkus keeps the MDC in the current Vert.x duplicated context (VertxMDC): a thread that leaves must not take
        // the request id away from the request's other threads there, and in the request's own context, where every
        // dispatch of its callbacks is a stretch of its work, the id is put once and stays.
        AllocLineRuntime r = new AllocLineRuntime(settings, io.smallrye.common.vertx.VertxContext::isOnDuplicatedContext,
                DispatchHooks::ownsCurrentContext);
        r.start();
        runtime = r;
        shutdown.addShutdownTask(() -> {
            r.stop();
            if (runtime == r) {
                runtime = null;
            }
        });
        return new RequestStart(r);
    }

    private static ProfileStore s3Store(String bucket) {
        Class<?> type;
        try {
            type = Class.forName("software.amazon.awssdk.services.s3.S3Client", false,
                    AllocLineRecorder.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException("invalid quarkus.allocline settings: " + QuarkusSettings.PREFIX
                    + "profile.s3-bucket is set but the AWS SDK's S3 client (software.amazon.awssdk:s3) is not in the "
                    + "application");
        }
        InstanceHandle<?> client = Arc.container().instance(type);
        if (!client.isAvailable()) {
            throw new IllegalArgumentException("invalid quarkus.allocline settings: " + QuarkusSettings.PREFIX
                    + "profile.s3-bucket is set but the application has no S3Client bean (produce one with @Produces)");
        }
        return S3Stores.of(client.get(), bucket);
    }
}
