package dev.allocline.quarkus.runtime;

import dev.allocline.internal.accounting.Request;
import dev.allocline.internal.accounting.ThreadWork;
import org.jboss.resteasy.reactive.server.mapping.RuntimeResource;
import io.vertx.ext.web.RoutingContext;
import org.jboss.resteasy.reactive.server.vertx.VertxResteasyReactiveRequestContext;

/**
 * Called around every run of a Quarkus REST request's handler chain: the build step gives Quarkus REST's
 * request context a {@code run()} that calls {@link #enter} first and {@link #exit} last, whatever the run
 * ends with.
 *
 * <p>Why a run is the unit: Quarkus REST runs a request's chain in {@code run()} on the event loop, again on
 * a worker thread for a blocking method, again on whatever thread resumes a {@code Uni} or
 * {@code CompletionStage}, again once the body is read; a run returns when the chain suspends or ends,
 * and the thread then works for something else. So a thread enters the request when a run starts and
 * leaves when it returns: nothing before, nothing after, whatever runs on that thread in between. A run
 * nested in another stretch of the same request on the same thread (the first run happens inside
 * {@link RequestStart}'s, a resume while running) adds nothing and does not leave early. Not API; public
 * only because Quarkus REST's class calls it.
 */
public final class RunHooks {

    /** Where the request's Quarkus REST context is kept in the routing context. */
    static final String CONTEXT_KEY = "dev.allocline.rest-context";

    private RunHooks() {
    }

    /** What a context carries when its routing context had no request (allocline off, or its baseline failed). */
    static final Object NONE = new Object();

    /** Returns the request the calling thread entered, or null when it entered none. Never throws. */
    public static Object enter(Object context) {
        try {
            Request request = requestOf(context);
            if (request == null || ThreadWork.current() == request) {
                return null;
            }
            ThreadWork.enter(request); // bracketed: the run's exit leaves, whatever the run ends with
            return request;
        } catch (RuntimeException | LinkageError e) {
            failed(context, "entering", e);
            return null;
        }
    }

    /**
     * The request of {@code context}: from the field the build gave it once the first run has looked; the first
     * run (on the event loop that began the request, inside its route filter) reads the routing context.
     */
    private static Request requestOf(Object context) {
        if (context instanceof RequestCarrier) {
            RequestCarrier carrier = (RequestCarrier) context;
            Object known = carrier.allocline$request();
            if (known == null) {
                known = firstLook(context);
                carrier.allocline$request(known);
            }
            return known instanceof Request ? (Request) known : null;
        }
        Object found = firstLook(context); // not transformed (another Quarkus): the routing context each time
        return found instanceof Request ? (Request) found : null;
    }

    private static Object firstLook(Object context) {
        if (!(context instanceof VertxResteasyReactiveRequestContext)) {
            return NONE;
        }
        RoutingContext rc = ((VertxResteasyReactiveRequestContext) context).getContext();
        Object r = rc.get(RequestStart.KEY);
        if (!(r instanceof Request)) {
            return NONE;
        }
        if (rc.get(CONTEXT_KEY) == null) {
            rc.put(CONTEXT_KEY, context); // for the route, read when the response has ended
        }
        return r;
    }

    /** Leaves what {@link #enter} entered. Never throws. */
    public static void exit(Object context, Object entered) {
        if (entered == null) {
            return;
        }
        try {
            ThreadWork.leave((Request) entered);
        } catch (RuntimeException | LinkageError e) {
            failed(context, "leaving", e);
        }
    }

    /**
     * The route template Quarkus REST matched for the request of {@code rc}, base path included, or "" when
     * none matched (no route, or answered before matching). Read when the response has ended: a response
     * answered at once on the event loop ends inside the run that matched it. The names are {@code routes}', which
     * the running application owns: a dev-mode reload drops them with its resources and their class loader.
     */
    static String route(RoutingContext rc, RouteNames routes) {
        Object context = rc.get(CONTEXT_KEY);
        if (!(context instanceof VertxResteasyReactiveRequestContext)) {
            return "";
        }
        VertxResteasyReactiveRequestContext c = (VertxResteasyReactiveRequestContext) context;
        RuntimeResource target = c.getTarget();
        return target == null ? "" : routes.route(c.getDeployment(), target);
    }

    private static void failed(Object context, String what, Throwable e) {
        var runtime = AllocLineRecorder.runtime();
        if (runtime != null) {
            runtime.failures().warn("accounting", "allocline: accounting failed " + what
                    + " a run of a request's handler chain; its line may be partial: " + e, e);
        }
    }
}
