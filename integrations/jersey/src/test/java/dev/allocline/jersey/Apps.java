package dev.allocline.jersey;

import dev.allocline.testing.LineCollector;
import org.glassfish.jersey.server.ResourceConfig;

/** Builds test applications with the Feature sending lines to a collector. */
final class Apps {

    private Apps() {
    }

    static ResourceConfig withFeature(LineCollector lines, Object... components) {
        ResourceConfig rc = new ResourceConfig();
        // Tests pair lines with requests by the id they send.
        rc.register(AllocLineFeature.builder().defaultSink(false).requestIdHeader("X-Request-Id").sink(lines).build());
        for (Object c : components) {
            if (c instanceof Class) {
                rc.register((Class<?>) c);
            } else {
                rc.register(c);
            }
        }
        return rc;
    }
}
