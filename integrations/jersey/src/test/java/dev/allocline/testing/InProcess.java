package dev.allocline.testing;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.util.concurrent.ExecutionException;
import org.glassfish.jersey.internal.MapPropertiesDelegate;
import org.glassfish.jersey.server.ApplicationHandler;
import org.glassfish.jersey.server.ContainerRequest;
import org.glassfish.jersey.server.ContainerResponse;
import org.glassfish.jersey.server.ResourceConfig;

/** Jersey without a network: one request through {@link ApplicationHandler} on the calling thread. */
public final class InProcess {

    private final ApplicationHandler handler;

    public InProcess(ResourceConfig config) {
        this.handler = new ApplicationHandler(config);
    }

    /** Sends {@code method rawPath} and returns the status; the entity is written to memory. */
    public int send(String method, String rawPath) {
        return send(method, rawPath, new String[0]);
    }

    /** As {@link #send(String, String)}, with headers given as name, value, name, value... */
    public int send(String method, String rawPath, String... headers) {
        ContainerRequest request = new ContainerRequest(URI.create("http://localhost/"),
                URI.create("http://localhost" + rawPath), method, null, new MapPropertiesDelegate(), handler.getConfiguration());
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try {
            return handler.apply(request, body).get().getStatus();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    public ApplicationHandler handler() {
        return handler;
    }
}
