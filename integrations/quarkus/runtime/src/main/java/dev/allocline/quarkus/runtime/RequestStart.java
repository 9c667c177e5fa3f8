package dev.allocline.quarkus.runtime;

import dev.allocline.internal.accounting.AllocLineRuntime;
import dev.allocline.internal.accounting.Request;
import dev.allocline.internal.accounting.ThreadWork;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * The first thing every HTTP request meets (a Vert.x route filter, before CORS and authentication): the
 * baseline is taken here, on the event loop, and the request's line is written when Vert.x says its
 * response has ended (or failed: the client went away), whatever answered it: a resource, an exception
 * mapper, Quarkus' error handler for an unmapped exception, or the 404 of a path no route matches.
 *
 * <p>The event loop works for the request exactly while {@code next()} runs: the rest of the route chain
 * runs there synchronously (Quarkus REST's handlers until the request suspends or moves to a worker
 * thread), and when {@code next()} returns the event loop goes back to other connections, so it leaves.
 * Every later stretch of the request's work is a dispatch on its Vert.x duplicated context, which this filter
 * makes carry the request ({@link DispatchHooks}: timers, client callbacks, Mutiny stages, the runs of its
 * handler chain resumed on the event loop), or a run of its Quarkus REST context ({@link RunHooks}: a worker
 * thread, a thread that completes a stage off the context). Called on event-loop threads only.
 */
final class RequestStart implements Handler<RoutingContext> {

    /** Where the request's accounting is kept in the routing context. */
    static final String KEY = "dev.allocline.request";

    private final AllocLineRuntime runtime;
    private final String requestIdHeader;
    /**
     * The route names of this application's resources. Held here, by the filter the recorder makes for each start,
     * not in a static: in dev mode allocline's classes outlive a reload, and a static map keyed by Quarkus REST's
     * resources would keep every replaced application's resources and class loader reachable.
     */
    private final RouteNames routes = new RouteNames();

    RequestStart(AllocLineRuntime runtime) {
        this.runtime = runtime;
        this.requestIdHeader = runtime.settings().requestIdHeader();
    }

    @Override
    public void handle(RoutingContext rc) {
        Request request = begin(rc);
        try {
            rc.next();
        } finally {
            if (request != null) {
                try {
                    ThreadWork.leave(request);
                } catch (RuntimeException | LinkageError e) {
                    runtime.failures().warn("accounting", "allocline: accounting failed for request "
                            + request.requestId() + " leaving the event loop; its line may be partial: " + e, e);
                }
            }
        }
    }

    private Request begin(RoutingContext rc) {
        Request request;
        try {
            String inbound = requestIdHeader == null ? null : rc.request().getHeader(requestIdHeader);
            request = new Request(runtime, runtime.requestId(inbound), Request.Sight.EVERY_STRETCH);
            request.describe(rc.request().method().name(), rawPath(rc));
            rc.put(KEY, request);
            if (requestIdHeader != null) {
                rc.response().headers().set(requestIdHeader, request.requestId());
            }
            rc.addEndHandler(new End(rc, request));
            // Every later dispatch on the request's duplicated context (timers, client callbacks, Mutiny stages
            // completed on it) is a stretch of work for it; this one is followed by the enter and leave here.
            DispatchHooks.attach(request);
            request.begin();
        } catch (RuntimeException | LinkageError e) {
            runtime.failures().warn("baseline", "allocline: could not take the request baseline; "
                    + "this request gets no line: " + e, e);
            rc.remove(KEY);
            return null;
        }
        try {
            // The server span of quarkus-opentelemetry is current from the start of routing.
            request.captureTrace();
        } catch (RuntimeException | LinkageError e) {
            // The request is begun and keeps its line (without trace ids); it must not lose its baseline here.
            runtime.failures().warn("trace", "allocline: could not read the OpenTelemetry span of request "
                    + request.requestId() + "; its line has no trace ids: " + e, e);
        }
        return request;
    }

    private static String rawPath(RoutingContext rc) {
        String p = rc.request().path(); // as sent, undecoded, without the query
        return p == null ? "" : p;
    }

    /** Writes the line once the response has ended (written) or failed (client gone, reset). */
    private final class End implements Handler<AsyncResult<Void>> {
        private final RoutingContext rc;
        private final Request request;

        End(RoutingContext rc, Request request) {
            this.rc = rc;
            this.request = request;
        }

        @Override
        public void handle(AsyncResult<Void> result) {
            try {
                request.route(RunHooks.route(rc, routes));
                // A response that failed before its head went out has no status yet (Vert.x would say 200).
                boolean sent = result.succeeded() || rc.response().headWritten();
                request.status(sent ? rc.response().getStatusCode() : 0);
                request.finish(result.succeeded());
            } catch (RuntimeException | LinkageError e) {
                runtime.failures().warn("line", "allocline: could not write the line of request "
                        + request.requestId() + ": " + e, e);
            }
        }
    }
}
