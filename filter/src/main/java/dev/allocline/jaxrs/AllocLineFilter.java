package dev.allocline.jaxrs;

import dev.allocline.AllocLine;
import dev.allocline.AllocLineBuilder;
import dev.allocline.internal.AllocLineSettings;
import dev.allocline.internal.accounting.AllocLineRuntime;
import dev.allocline.internal.accounting.HoldsRuntime;
import dev.allocline.internal.accounting.Request;
import dev.allocline.internal.accounting.ThreadWork;
import jakarta.annotation.Priority;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.container.DynamicFeature;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Feature;
import jakarta.ws.rs.core.FeatureContext;
import jakarta.ws.rs.ext.RuntimeDelegate;
import jakarta.ws.rs.ext.WriterInterceptor;
import jakarta.ws.rs.ext.WriterInterceptorContext;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URI;

/**
 * allocline on any Jakarta REST runtime (RESTEasy, Apache CXF with {@code allocline-cxf}, Jersey), with
 * nothing but the standard provider contracts. Register the instance like any provider: in
 * {@code Application.getSingletons()}, with {@code register(...)}, or from a {@code Feature}.
 *
 * <pre>{@code
 * public Set<Object> getSingletons() {
 *     return Set.of(AllocLineFilter.builder().requestIdHeader("X-Request-Id").build());
 * }
 * }</pre>
 *
 * It is a {@code Feature} that registers: a {@code @PreMatching} request filter at the highest priority
 * (the baseline, stored as a request property), per resource method the first request filter after
 * matching (the route template) and the last one (the trace, and the method's start), a response filter
 * at the lowest priority, and a writer interceptor around every other one, so the line is written after
 * the entity (its serialisation's bytes included), or from the response filter when there is none. The
 * same settings as {@code AllocLineFeature}; {@code AllocLine.put}, {@code requestId()} and {@code wrap}
 * work the same on every thread the filters follow.
 *
 * <p>What the filter chain never sees is not counted and is documented, never guessed. No standard hook
 * runs when a resource method returns, so for a method that may answer later ({@link AsyncMethods}: an
 * {@code @Suspended} or {@code SseEventSink} parameter, a result the runtime completes later, known by type
 * or through the runtime's own registry) the request thread leaves the request when the method starts, and
 * the request is followed again where it resumes: nothing of it stays on a pool thread, and the body is not
 * counted. Where even that cannot be known (a result type registered with a runtime allocline cannot ask),
 * the core's rule keeps the worst case an under-count: the request thread's part is dropped, uncounted, as
 * soon as the thread starts another request's work or the request ends elsewhere, and the line says
 * {@code alloc_partial=thread_left}. A request the runtime answers outside the filter chain keeps waiting
 * for its end and gets an {@code alloc_bytes=-1 alloc_unavailable=end_not_seen} line from a bounded sweep
 * (on CXF, {@code allocline-cxf} gives it its own line). Work on a thread the filters never see is counted
 * only when wrapped with {@code AllocLine.wrap} from a thread the filters follow. On Quarkus REST, where
 * the filters cannot follow a request, it refuses to start. On Jersey, prefer {@code AllocLineFeature},
 * which follows Jersey's request events and sees all of these.
 *
 * <p>The background parts (the process-wide sampler, the JFR recording) start with the first request and
 * end with {@link #close()} (a pending upload then gets {@code shutdownTimeout}). Standard Jakarta REST tells
 * a provider nothing about shutdown, and no runtime tested calls {@code close()} or {@code @PreDestroy} on a
 * provider instance: on CXF, {@code allocline-cxf} closes it when CXF stops the server; on Jersey, call it
 * from the {@code Application}'s {@code @PreDestroy} method (Jersey calls that one); elsewhere, from
 * whatever stops the application ({@code SeBootstrap.Instance.stop()}'s stage, a
 * {@code ServletContextListener}). Immutable once built; its filters are called concurrently from request
 * threads.
 */
public final class AllocLineFilter implements Feature, AutoCloseable {

    private final AllocLineSettings settings;
    private final AllocLineRuntime runtime;

    private AllocLineFilter(AllocLineBuilder.Validated validated) {
        this.settings = AllocLineSettings.of(validated);
        this.runtime = new AllocLineRuntime(this.settings);
    }

    /** A builder with the same defaults as {@code AllocLineFeature.builder()}. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public boolean configure(FeatureContext context) {
        String unsupported = unsupportedRuntime(context);
        if (unsupported != null) {
            runtime.failures().warn("unsupported-runtime", "allocline: AllocLineFilter is NOT enabled: it runs on "
                    + unsupported + ", where its standard filters cannot follow the request's threads (blocking "
                    + "methods run on worker threads the filters never see, suspended requests share the event "
                    + "loop) and would write wrong alloc_bytes. No line is written for this application. On Quarkus "
                    + "REST add the extension dev.allocline:allocline-quarkus instead (no code, settings under "
                    + "quarkus.allocline.); RESTEasy classic (quarkus-resteasy) works with this filter.", null);
            return false;
        }
        context.register(new Start(runtime, settings.requestIdHeader()));
        context.register(new Matched(runtime));
        context.register(new End(runtime, settings.requestIdHeader()));
        return true;
    }

    /**
     * The name of a runtime where the standard filters are known to give wrong numbers, or null. Quarkus
     * REST (RESTEasy Reactive) is recognised by its {@code RuntimeDelegate} or its feature context, both
     * in {@code org.jboss.resteasy.reactive}: the classic RESTEasy ({@code org.jboss.resteasy.core}) is fine.
     */
    static String unsupportedRuntime(FeatureContext context) {
        String delegate;
        try {
            delegate = RuntimeDelegate.getInstance().getClass().getName();
        } catch (RuntimeException | LinkageError e) {
            delegate = "";
        }
        if (delegate.startsWith("org.jboss.resteasy.reactive.")
                || context.getClass().getName().startsWith("org.jboss.resteasy.reactive.")) {
            return "Quarkus REST (RESTEasy Reactive, " + delegate + ")";
        }
        return null;
    }

    /** Stops the background parts; lines of requests still in flight are still written. Idempotent. */
    @Override
    public void close() {
        runtime.stop();
    }

    /** Settings of an {@link AllocLineFilter}: every setting is an {@link AllocLineBuilder}'s. */
    public static final class Builder extends AllocLineBuilder<Builder, AllocLineFilter> {
        private Builder() {
            super("AllocLineFilter", AllocLineFilter::new);
        }
    }

    private static Request of(Object property) {
        return property instanceof Request ? (Request) property : null;
    }

    /** Before matching and before every other filter: the baseline, on the request thread. */
    @PreMatching
    @Priority(Integer.MIN_VALUE)
    static final class Start implements ContainerRequestFilter, HoldsRuntime {
        private final AllocLineRuntime runtime;
        private final String requestIdHeader;

        Start(AllocLineRuntime runtime, String requestIdHeader) {
            this.runtime = runtime;
            this.requestIdHeader = requestIdHeader;
        }

        /** For {@code allocline-cxf}, which stops the runtime when CXF stops the server that holds this filter. */
        @Override
        public AllocLineRuntime allocLineRuntime() {
            return runtime;
        }

        @Override
        public void filter(ContainerRequestContext ctx) {
            try {
                runtime.ensureStarted();
                runtime.sweepPending();
                String inbound = requestIdHeader == null ? null : ctx.getHeaderString(requestIdHeader);
                URI uri = ctx.getUriInfo().getRequestUri();
                Request r = new Request(runtime, runtime.requestId(inbound), Request.Sight.STARTS);
                r.describe(ctx.getMethod(), uri == null ? null : uri.getRawPath());
                ctx.setProperty(AllocLine.REQUEST_PROPERTY, r);
                r.begin();
            } catch (RuntimeException | LinkageError e) {
                runtime.failures().warn("baseline", "allocline: could not take the request baseline; "
                        + "this request gets no line: " + e, e);
            }
        }
    }

    /**
     * Per resource method, after matching: the route template first of all request filters, the trace
     * ids and the method's start last of all. Routes are computed once per method at deployment, from
     * the application path and the class's and method's {@code @Path}.
     */
    static final class Matched implements DynamicFeature {
        private final AllocLineRuntime runtime;

        Matched(AllocLineRuntime runtime) {
            this.runtime = runtime;
        }

        @Override
        public void configure(ResourceInfo info, FeatureContext context) {
            Method m = info.getResourceMethod();
            context.register(new RouteFound(runtime, template(info.getResourceClass(), m)));
            context.register(new MethodStart(runtime, mayAnswerLater(info, m, context)));
        }

        /**
         * Asks {@link AsyncMethods}, with the runtime's registry of asynchronous result types reached through this
         * method's own configuration. A failure says "may answer later": the request thread then leaves at the
         * method's start, an under-count of the body rather than a risk of counting the pool's work.
         */
        private boolean mayAnswerLater(ResourceInfo info, Method m, FeatureContext context) {
            try {
                return AsyncMethods.mayAnswerLater(info.getResourceClass(), m, context.getConfiguration());
            } catch (RuntimeException | LinkageError e) {
                runtime.failures().warn("async-method", "allocline: could not tell whether " + m
                        + " answers later; its body is not counted: " + e, e);
                return true;
            }
        }

        static String template(Class<?> type, Method method) {
            StringBuilder raw = new StringBuilder(64);
            Path c = type == null ? null : type.getAnnotation(Path.class);
            Path m = method == null ? null : method.getAnnotation(Path.class);
            if (c != null) {
                raw.append('/').append(c.value());
            }
            if (m != null) {
                raw.append('/').append(m.value());
            }
            return dev.allocline.internal.accounting.Routes.normalise(raw);
        }
    }

    /**
     * First of the request filters after matching: the route, before any filter of the application can
     * answer the request itself (a 401 or 403 from an authentication filter still has its route).
     */
    @Priority(Integer.MIN_VALUE)
    static final class RouteFound implements ContainerRequestFilter {
        private final AllocLineRuntime runtime;
        private final String template;
        /** {base path, route}: the base path is the same for every request of a deployment, so the route is joined once. */
        private volatile String[] route = {null, null};

        RouteFound(AllocLineRuntime runtime, String template) {
            this.runtime = runtime;
            this.template = template;
        }

        @Override
        public void filter(ContainerRequestContext ctx) {
            Request r = of(ctx.getProperty(AllocLine.REQUEST_PROPERTY));
            if (r == null) {
                return;
            }
            try {
                String base = ctx.getUriInfo().getBaseUri() == null ? null : ctx.getUriInfo().getBaseUri().getRawPath();
                r.route(routeFor(base));
            } catch (RuntimeException | LinkageError e) {
                runtime.failures().warn("matched", "allocline: could not record the route of request "
                        + r.requestId() + "; its line may be partial: " + e, e);
            }
        }

        private String routeFor(String base) {
            String[] r = route;
            if (r[1] == null || !java.util.Objects.equals(r[0], base)) {
                r = new String[] {base, dev.allocline.internal.accounting.Routes.join(base, template)};
                route = r;
            }
            return r[1];
        }
    }

    /**
     * Last of the request filters after matching (so a span a filter made current is current here): the
     * trace ids, and the thread's part in the method.
     */
    @Priority(Integer.MAX_VALUE)
    static final class MethodStart implements ContainerRequestFilter {
        private final AllocLineRuntime runtime;
        private final boolean suspends;

        MethodStart(AllocLineRuntime runtime, boolean suspends) {
            this.runtime = runtime;
            this.suspends = suspends;
        }

        @Override
        public void filter(ContainerRequestContext ctx) {
            Request r = of(ctx.getProperty(AllocLine.REQUEST_PROPERTY));
            if (r == null) {
                return;
            }
            try {
                r.captureTrace();
                if (suspends) {
                    // The method may return before the request is answered, and nothing standard says when
                    // it does: the thread leaves the request now (its bytes so far counted, its logging
                    // context put back), so it carries nothing of it back to the container's pool. The
                    // request is followed again on the thread that resumes it (response filters, write).
                    ThreadWork.leave(r);
                } else {
                    ThreadWork.enter(r);
                }
            } catch (RuntimeException | LinkageError e) {
                runtime.failures().warn("method-start", "allocline: could not follow request " + r.requestId()
                        + " into its method; its line may be partial: " + e, e);
            }
        }
    }

    /**
     * After every other response filter (response filters run in descending priority) and around every
     * other writer interceptor: the line is written when the entity has been, or here when there is none.
     */
    @Priority(Integer.MIN_VALUE)
    static final class End implements ContainerResponseFilter, WriterInterceptor {
        private final AllocLineRuntime runtime;
        private final String requestIdHeader;

        End(AllocLineRuntime runtime, String requestIdHeader) {
            this.runtime = runtime;
            this.requestIdHeader = requestIdHeader;
        }

        @Override
        public void filter(ContainerRequestContext req, ContainerResponseContext resp) {
            Request r = of(req.getProperty(AllocLine.REQUEST_PROPERTY));
            if (r == null) {
                return;
            }
            try {
                ThreadWork.enter(r); // the response may be filtered on another thread (a resumed AsyncResponse)
                r.status(resp.getStatus());
                if (requestIdHeader != null) {
                    resp.getHeaders().putSingle(requestIdHeader, r.requestId());
                }
                if (!resp.hasEntity()) {
                    r.finish(true);
                }
            } catch (RuntimeException | LinkageError e) {
                runtime.failures().warn("response", "allocline: accounting failed for request " + r.requestId()
                        + " in the response filter; its line may be missing or partial: " + e, e);
            }
        }

        @Override
        public void aroundWriteTo(WriterInterceptorContext ctx) throws IOException {
            Request r = of(ctx.getProperty(AllocLine.REQUEST_PROPERTY));
            if (r == null) {
                ctx.proceed();
                return;
            }
            boolean written = false;
            try {
                ThreadWork.enter(r);
                ctx.proceed();
                written = true;
            } finally {
                try {
                    r.finish(written);
                } catch (RuntimeException | LinkageError e) {
                    runtime.failures().warn("write", "allocline: could not write the line of request " + r.requestId()
                            + ": " + e, e);
                }
            }
        }
    }
}
