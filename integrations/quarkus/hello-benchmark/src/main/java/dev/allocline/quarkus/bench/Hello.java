package dev.allocline.quarkus.bench;

import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * The hello world of a reactive Quarkus service: a {@code Uni} answered on the event loop, so that a request is one
 * dispatch of the handler chain on its duplicated Vert.x context and nothing else (#37's per-dispatch cost, over HTTP).
 */
@Path("/hello")
public class Hello {

    @GET
    @Produces(MediaType.TEXT_PLAIN)
    public Uni<String> hello() {
        return Uni.createFrom().item("hello");
    }
}
