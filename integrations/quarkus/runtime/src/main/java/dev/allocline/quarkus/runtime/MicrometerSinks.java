package dev.allocline.quarkus.runtime;

import dev.allocline.line.CanonicalLineSink;
import dev.allocline.micrometer.MicrometerSink;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.arc.Arc;
import io.quarkus.arc.InstanceHandle;

/** Loaded only when quarkus-micrometer is in the application, so Micrometer stays optional. */
final class MicrometerSinks {

    private MicrometerSinks() {
    }

    /** The sink on quarkus-micrometer's registry, or null when the container has none. */
    static CanonicalLineSink fromContainer() {
        InstanceHandle<MeterRegistry> registry = Arc.container().instance(MeterRegistry.class);
        return registry.isAvailable() ? new MicrometerSink(registry.get()) : null;
    }
}
