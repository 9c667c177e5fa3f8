package dev.allocline.jersey;

import dev.allocline.AllocLine;
import dev.allocline.internal.accounting.AllocLineRuntime;
import dev.allocline.internal.accounting.Request;
import org.glassfish.jersey.server.ContainerRequest;
import org.glassfish.jersey.server.monitoring.ApplicationEvent;
import org.glassfish.jersey.server.monitoring.ApplicationEventListener;
import org.glassfish.jersey.server.monitoring.RequestEvent;
import org.glassfish.jersey.server.monitoring.RequestEventListener;

/**
 * Jersey calls {@link #onRequest} on the request thread with the {@code START} event, before any
 * filter, including {@code @PreMatching} ones, and before routing, so 404s are counted too. That is
 * where the baseline is taken; the returned listener then sees every later event of the request.
 * Background parts start when the application is valid and built ({@code INITIALIZATION_APP_FINISHED},
 * which Jersey fires after model validation, also where no container calls {@code onStartup}; the
 * later {@code INITIALIZATION_FINISHED} and {@code RELOAD_FINISHED} find them started), not at
 * {@code INITIALIZATION_START}: a failed initialisation is followed by no destroy and would leak them.
 * They stop on {@code DESTROY_FINISHED}.
 */
final class AllocLineEventListener implements ApplicationEventListener {

    private final AllocLineRuntime runtime;
    private final Runnable destroyed;
    private final RouteTemplates routes = new RouteTemplates();

    /** @param destroyed called after the runtime stopped at Jersey's destroy (the Feature forgets it) */
    AllocLineEventListener(AllocLineRuntime runtime, Runnable destroyed) {
        this.runtime = runtime;
        this.destroyed = destroyed;
    }

    @Override
    public void onEvent(ApplicationEvent event) {
        try {
            switch (event.getType()) {
                case INITIALIZATION_APP_FINISHED:
                    runtime.start();
                    break;
                case INITIALIZATION_FINISHED:
                case RELOAD_FINISHED:
                    runtime.start();
                    runtime.declareRoutes(RouteTemplates.declared(event.getResourceModel()));
                    break;
                case DESTROY_FINISHED:
                    runtime.stop();
                    destroyed.run();
                    break;
                default:
                    break;
            }
        } catch (RuntimeException | LinkageError e) {
            runtime.failures().warn("lifecycle", "allocline: " + event.getType() + " handling failed: " + e, e);
        }
    }

    @Override
    public RequestEventListener onRequest(RequestEvent requestEvent) {
        try {
            ContainerRequest request = requestEvent.getContainerRequest();
            String header = runtime.settings().requestIdHeader();
            String inbound = header == null || request == null ? null : request.getHeaderString(header);
            Request accounting = new Request(runtime, runtime.requestId(inbound), Request.Sight.EVERY_STRETCH);
            JerseyRequest listener = new JerseyRequest(runtime, accounting, routes);
            if (request != null) {
                request.setProperty(AllocLine.REQUEST_PROPERTY, listener);
            }
            accounting.begin();
            return listener;
        } catch (RuntimeException | LinkageError e) {
            runtime.failures().warn("baseline", "allocline: could not take the request baseline; "
                    + "this request gets no line: " + e, e);
            return null;
        }
    }
}
