package dev.allocline.quarkus.it;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A reactive service's endpoints, on the event loop: the work is done in steps scheduled with Vert.x timers on the
 * request's own context, or in the items of a stream emitted by such timers and written as they come.
 */
@Path("/nb")
public class NonBlocking {

    @Inject
    Vertx vertx;

    static void allocateKib(int kib) {
        for (int left = kib; left > 0; left -= 1024) {
            Reports.sink = new byte[Math.min(left, 1024) * 1024 - 16];
        }
    }

    /** {@code steps} steps of {@code kib} KiB (1 MiB by default) spread over {@code ms}, each in a Vert.x timer. */
    @GET
    @Path("/alloc/{steps}")
    @Produces(MediaType.TEXT_PLAIN)
    public CompletionStage<String> steps(@PathParam("steps") int steps, @QueryParam("ms") @DefaultValue("600") long ms,
            @QueryParam("kib") @DefaultValue("1024") int kib) {
        CompletableFuture<String> done = new CompletableFuture<>();
        step(steps, Math.max(1, ms / Math.max(1, steps)), kib, done);
        return done;
    }

    private void step(int left, long every, int kib, CompletableFuture<String> done) {
        if (left == 0) {
            done.complete("steps done");
            return;
        }
        vertx.setTimer(every, id -> {
            allocateKib(kib);
            step(left - 1, every, kib, done);
        });
    }

    /** {@code items} server-sent events, each 1 MiB to build, emitted by Vert.x timers and written as they come. */
    @GET
    @Path("/sse/{items}")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public Multi<String> sse(@PathParam("items") int items) {
        return Multi.createFrom().emitter(e -> emit(e, items));
    }

    private void emit(MultiEmitter<? super String> e, int left) {
        vertx.setTimer(5, id -> {
            if (left == 0) {
                e.complete();
                return;
            }
            allocateKib(1024);
            e.emit("item " + left);
            emit(e, left - 1);
        });
    }
}
