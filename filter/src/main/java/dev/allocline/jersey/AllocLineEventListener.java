package dev.allocline.jersey;

import org.glassfish.jersey.server.monitoring.ApplicationEvent;
import org.glassfish.jersey.server.monitoring.ApplicationEventListener;
import org.glassfish.jersey.server.monitoring.RequestEvent;
import org.glassfish.jersey.server.monitoring.RequestEventListener;

/**
 * Jersey calls {@link #onRequest} on the request thread with the {@code START} event, before any
 * filter, including {@code @PreMatching} ones, and before routing, so 404s are counted too. That is
 * where the baseline is taken; the returned listener then sees every later event of the request.
 */
final class AllocLineEventListener implements ApplicationEventListener {

    private final AllocLineRuntime runtime;

    AllocLineEventListener(AllocLineRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public void onEvent(ApplicationEvent event) {
        try {
            switch (event.getType()) {
                case INITIALIZATION_START:
                    runtime.start();
                    break;
                case DESTROY_FINISHED:
                    runtime.stop();
                    break;
                default:
                    break;
            }
        } catch (RuntimeException | LinkageError e) {
            runtime.failures.warn("lifecycle", "allocline: " + event.getType() + " handling failed: " + e, e);
        }
    }

    @Override
    public RequestEventListener onRequest(RequestEvent requestEvent) {
        try {
            return new RequestAccounting(runtime, requestEvent.getContainerRequest());
        } catch (RuntimeException | LinkageError e) {
            runtime.failures.warn("baseline", "allocline: could not take the request baseline; "
                    + "this request gets no line: " + e, e);
            return null;
        }
    }
}
