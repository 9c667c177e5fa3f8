package dev.allocline.quarkus.test;

import dev.allocline.AllocLine;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.impl.ContextInternal;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.UriInfo;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jboss.resteasy.reactive.RestStreamElementType;

/**
 * Resources of a reactive service whose work is not in Quarkus REST's handler chain but in Vert.x callbacks on the
 * request's own context: timer steps, a Vert.x HTTP client's response, Mutiny stages completed by timers, stream
 * items emitted by timers and written as they come. Every method runs on the event loop.
 */
@Path("/nb")
public class Reactive {

    static final int KIB = 1 << 10;

    @Inject
    Vertx vertx;

    private volatile HttpClient client;

    static void allocateKib(int kib) {
        int left = kib;
        while (left > 0) {
            int n = Math.min(left, 1024);
            Allocating.sink = new byte[n * KIB - 16];
            left -= n;
        }
    }

    /**
     * {@code steps} steps of {@code kib} KiB, each in a Vert.x timer set from the previous one (so on the request's
     * duplicated context), spread over {@code ms}; the stage completes after the last one.
     */
    @GET
    @Path("/alloc/{steps}")
    @Produces(MediaType.TEXT_PLAIN)
    public CompletionStage<String> timerSteps(@PathParam("steps") int steps, @QueryParam("ms") @DefaultValue("600") long ms,
            @QueryParam("kib") @DefaultValue("1024") int kib) {
        CompletableFuture<String> done = new CompletableFuture<>();
        long every = Math.max(1, ms / Math.max(1, steps));
        step(steps, every, kib, done);
        return done;
    }

    private void step(int left, long every, int kib, CompletableFuture<String> done) {
        if (left == 0) {
            done.complete("done");
            return;
        }
        vertx.setTimer(every, id -> {
            if (left == 1) {
                AllocLine.put("seen_in_timer", AllocLine.requestId().orElse("none"));
                AllocLine.put("mdc_in_timer", String.valueOf(org.slf4j.MDC.get("request_id")));
            }
            allocateKib(kib);
            step(left - 1, every, kib, done);
        });
    }

    /**
     * Calls {@code /alloc/loop/{calleeMib}} of this same application with Vert.x's HTTP client (another request,
     * with its own line and its own {@code calleeMib} MiB), and decodes the answer in the client's callback:
     * {@code mib} MiB, in steps of 1 MiB.
     */
    @GET
    @Path("/client/{mib}/{calleeMib}")
    @Produces(MediaType.TEXT_PLAIN)
    public CompletionStage<String> client(@PathParam("mib") int mib, @PathParam("calleeMib") int calleeMib,
            @QueryParam("callee") String calleeId, @Context HttpServerRequest request, @Context UriInfo uri) {
        CompletableFuture<String> done = new CompletableFuture<>();
        String path = uri.getBaseUri().getPath() + "alloc/loop/" + calleeMib;
        httpClient().request(HttpMethod.GET, request.localAddress().port(), "127.0.0.1", path)
                .compose(req -> req.putHeader("X-Request-Id", calleeId).send())
                .compose(response -> response.body())
                .onComplete(body -> {
                    if (body.failed()) {
                        done.completeExceptionally(body.cause());
                        return;
                    }
                    AllocLine.put("seen_in_callback", AllocLine.requestId().orElse("none"));
                    allocateKib(mib * 1024); // the decoding of a client's answer
                    done.complete("decoded " + body.result().toString());
                });
        return done;
    }

    private HttpClient httpClient() {
        HttpClient c = client;
        if (c == null) {
            synchronized (this) {
                c = client;
                if (c == null) {
                    c = client = vertx.createHttpClient();
                }
            }
        }
        return c;
    }

    /** {@code steps} Mutiny stages, each completed by a Vert.x timer on the request's context, each allocating 1 MiB. */
    @GET
    @Path("/uni/{steps}")
    @Produces(MediaType.TEXT_PLAIN)
    public Uni<String> uniSteps(@PathParam("steps") int steps) {
        Uni<Integer> u = Uni.createFrom().item(0);
        for (int i = 0; i < steps; i++) {
            u = u.onItem().transformToUni(n -> later(5).onItem().transform(x -> {
                allocateKib(1024);
                return n + 1;
            }));
        }
        return u.onItem().transform(n -> "steps " + n);
    }

    private Uni<Long> later(long ms) {
        return Uni.createFrom().emitter(e -> vertx.setTimer(ms, e::complete));
    }

    /** {@code items} items emitted by Vert.x timers on the request's context, each written (1 MiB) as it comes. */
    @GET
    @Path("/multi/{items}")
    @Produces(MediaType.TEXT_PLAIN)
    public Multi<Allocating.Allocation> multi(@PathParam("items") int items) {
        return timed(items);
    }

    /** The same as server-sent events. */
    @GET
    @Path("/sse/{items}")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.TEXT_PLAIN)
    public Multi<Allocating.Allocation> sse(@PathParam("items") int items) {
        return timed(items);
    }

    private Multi<Allocating.Allocation> timed(int items) {
        return Multi.createFrom().emitter(e -> emit(e, items));
    }

    private void emit(MultiEmitter<? super Allocating.Allocation> e, int left) {
        vertx.setTimer(5, id -> {
            if (left == 0) {
                e.complete();
            } else {
                e.emit(new Allocating.Allocation(1));
                emit(e, left - 1);
            }
        });
    }

    /**
     * In a timer on the request's context: half of {@code mib} in a dispatch nested in the timer's, a quarter after it
     * returns, and the stage completed there, so the chain's writer allocates the last quarter.
     */
    @GET
    @Path("/nested/{mib}")
    @Produces(MediaType.TEXT_PLAIN)
    public CompletionStage<Allocating.Allocation> nested(@PathParam("mib") int mib) {
        CompletableFuture<Allocating.Allocation> done = new CompletableFuture<>();
        vertx.setTimer(5, id -> {
            ContextInternal context = (ContextInternal) Vertx.currentContext();
            context.dispatch(v -> allocateKib(mib * 512));
            allocateKib(mib * 256);
            done.complete(new Allocating.Allocation(mib / 4));
        });
        return done;
    }

    /** {@code mib} MiB in blocking code handed to Vert.x's {@code executeBlocking} from the request's context. */
    @GET
    @Path("/execute-blocking/{mib}")
    @Produces(MediaType.TEXT_PLAIN)
    public CompletionStage<String> executeBlocking(@PathParam("mib") int mib) {
        return vertx.executeBlocking(() -> {
            allocateKib(mib * 1024);
            return "blocking done";
        }, false).toCompletionStage();
    }

    /** Answers at once, and leaves a periodic timer on its context that allocates {@code mib} MiB once released. */
    @GET
    @Path("/late/{mib}")
    @Produces(MediaType.TEXT_PLAIN)
    public CompletionStage<String> late(@PathParam("mib") int mib) {
        CompletableFuture<String> done = new CompletableFuture<>();
        String requestId = AllocLine.requestId().orElseThrow();
        vertx.setTimer(5, id -> {
            done.complete("answered");
            vertx.setPeriodic(5, timer -> {
                if (Probe.released) {
                    vertx.cancelTimer(timer);
                    allocateKib(mib * 1024);
                    Probe.late.put(requestId, new String[] {AllocLine.requestId().orElse("none"),
                            String.valueOf(org.slf4j.MDC.get("request_id"))});
                }
            });
        });
        return done;
    }

    /** {@code mib} MiB on a pool thread of the application's own, handed the task with or without {@code AllocLine.wrap}. */
    @GET
    @Path("/pool/{mib}")
    @Produces(MediaType.TEXT_PLAIN)
    public CompletionStage<String> pool(@PathParam("mib") int mib, @QueryParam("wrap") boolean wrap) {
        Runnable work = () -> allocateKib(mib * 1024);
        return CompletableFuture.runAsync(wrap ? AllocLine.wrap(work) : work, Allocating.POOL).thenApply(v -> "pooled");
    }

    /**
     * What each late callback saw ({@code AllocLine.requestId()} and the MDC's id there), by the id of the request that
     * set it; the test releases them once the request's line is written.
     */
    public static final class Probe {
        static volatile boolean released;
        static final java.util.Map<String, String[]> late = new java.util.concurrent.ConcurrentHashMap<>();
    }
}
