package dev.allocline.dropwizard;

import dev.allocline.jersey.AllocLineFeature;
import io.dropwizard.lifecycle.Managed;

/**
 * allocline's part of the service's lifecycle: when Dropwizard stops the service, stops the Feature's
 * background work (the sampler's lease, the profile recording and thread, waiting up to
 * {@code shutdownTimeout} for an upload in flight), then closes the S3 client the bundle built for
 * profiles. Jersey's destroy of the application stops the same work; whichever runs first does it. Called
 * by Dropwizard's lifecycle thread.
 */
final class AllocLineLifecycle implements Managed {

    private final AllocLineFeature feature;
    private final AutoCloseable ownedClient;

    /** @param ownedClient a client the bundle built and so must close, or null */
    AllocLineLifecycle(AllocLineFeature feature, AutoCloseable ownedClient) {
        this.feature = feature;
        this.ownedClient = ownedClient;
    }

    @Override
    public void start() {
        // Jersey starts the background work once it has built the application.
    }

    @Override
    public void stop() throws Exception {
        try {
            feature.stop();
        } finally {
            if (ownedClient != null) {
                ownedClient.close();
            }
        }
    }

    /** How the service's lifecycle lists it. */
    @Override
    public String toString() {
        return "allocline";
    }
}
