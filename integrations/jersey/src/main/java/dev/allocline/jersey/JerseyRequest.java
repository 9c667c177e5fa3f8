package dev.allocline.jersey;

import dev.allocline.internal.accounting.Request;
import dev.allocline.internal.accounting.ThreadWork;
import dev.allocline.internal.accounting.AllocLineRuntime;
import java.net.URI;
import org.glassfish.jersey.server.ContainerRequest;
import org.glassfish.jersey.server.ContainerResponse;
import org.glassfish.jersey.server.ExtendedUriInfo;
import org.glassfish.jersey.server.model.ResourceMethod;
import org.glassfish.jersey.server.monitoring.RequestEvent;
import org.glassfish.jersey.server.monitoring.RequestEventListener;

/**
 * Drives one request's accounting from Jersey's request events, which fire on the thread doing the
 * request's work: the first event a thread sees opens a segment there, and the events after which Jersey
 * may give the thread away close it, whatever the method declares: {@code RESOURCE_METHOD_FINISHED} always
 * (the method returned: what it returned, a value, a stage, a {@code Future}, nothing for an
 * {@code AsyncResponse}, is only known to Jersey, and the thread may go back to the container now; the
 * next event re-enters on whichever thread fires it, so the few hundred bytes of Jersey's bookkeeping in
 * between count for no one), {@code FINISHED} always, and {@code REQUEST_FILTERED} when Jersey itself
 * moves the method to its executor ({@code ResourceMethod.isManagedAsyncDeclared()}, the flag Jersey's own
 * dispatch branches on). Jersey calls it from whichever thread works on the request.
 */
final class JerseyRequest implements RequestEventListener {

    private final AllocLineRuntime runtime;
    private final Request request;
    private final RouteTemplates routes;
    /** Whether {@link #describe} ran; only the thread firing the request's events touches it (Jersey orders them). */
    private boolean described;

    JerseyRequest(AllocLineRuntime runtime, Request request, RouteTemplates routes) {
        this.runtime = runtime;
        this.request = request;
        this.routes = routes;
    }

    @Override
    public void onEvent(RequestEvent event) {
        // Most of a request's ~10 events only confirm the thread: that path is kept small (a candidate for
        // inlining into Jersey's event loop; not verified to be inlined); everything else is in handle().
        RequestEvent.Type type = event.getType();
        if (type == RequestEvent.Type.MATCHING_START || type == RequestEvent.Type.REQUEST_MATCHED
                || type == RequestEvent.Type.RESP_FILTERS_FINISHED) {
            try {
                ThreadWork.enter(request);
            } catch (RuntimeException | LinkageError | AssertionError e) {
                failed(event, e);
            }
        } else {
            handle(event);
        }
    }

    private void failed(RequestEvent event, Throwable e) {
        runtime.failures().warn("accounting", "allocline: accounting failed for request " + request.requestId()
                + " on " + event.getType() + "; its line may be missing or partial: " + e, e);
    }

    private void handle(RequestEvent event) {
        try {
            switch (event.getType()) {
                case REQUEST_FILTERED:
                    // Matched: what the line will say is known now, for the stretch events (StretchEvents)
                    // committed before the line, not only for the line.
                    describe(event);
                    if (isManagedAsync(event)) {
                        ThreadWork.leave(request);
                    } else {
                        ThreadWork.enter(request);
                    }
                    break;
                case RESOURCE_METHOD_START:
                    ThreadWork.enter(request);
                    describe(event); // when no request filter ran
                    // The span a container, an agent or a request filter made current is current here.
                    request.captureTrace();
                    break;
                case RESOURCE_METHOD_FINISHED:
                    ThreadWork.leave(request);
                    break;
                case RESP_FILTERS_START:
                    ThreadWork.enter(request);
                    String requestIdHeader = runtime.settings().requestIdHeader();
                    if (requestIdHeader != null && event.getContainerResponse() != null) {
                        event.getContainerResponse().getHeaders().putSingle(requestIdHeader, request.requestId());
                    }
                    break;
                case FINISHED:
                    finish(event);
                    break;
                default:
                    ThreadWork.enter(request);
            }
        } catch (RuntimeException | LinkageError | AssertionError e) {
            failed(event, e);
        }
    }

    /** Method, path and route onto the request, once: at the method's start, else (no method ran) at the end. */
    private void describe(RequestEvent event) {
        if (described) {
            return;
        }
        described = true;
        ContainerRequest request = event.getContainerRequest();
        ExtendedUriInfo uriInfo = event.getUriInfo();
        this.request.describe(request == null ? "" : request.getMethod(), request == null ? "" : rawPath(request.getRequestUri()));
        this.request.route(uriInfo == null ? "" : routes.route(uriInfo));
    }

    private void finish(RequestEvent event) {
        ContainerResponse response = event.getContainerResponse();
        describe(event);
        this.request.status(response == null ? 0 : response.getStatus());
        this.request.finish(event.isResponseWritten());
    }

    private static boolean isManagedAsync(RequestEvent event) {
        ResourceMethod m = matchedMethod(event);
        return m != null && m.isManagedAsyncDeclared();
    }

    private static ResourceMethod matchedMethod(RequestEvent event) {
        return event.getUriInfo() == null ? null : event.getUriInfo().getMatchedResourceMethod();
    }

    private static String rawPath(URI uri) {
        if (uri == null) {
            return "";
        }
        String p = uri.getRawPath();
        return p == null ? uri.getRawSchemeSpecificPart() : p;
    }

}
