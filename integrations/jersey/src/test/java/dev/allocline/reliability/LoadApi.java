package dev.allocline.reliability;

import dev.allocline.AllocLine;
import dev.allocline.testing.Allocate;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The load test's endpoints. Each echoes the client's id so that a changed response is detected, and
 * allocates a known amount so that every line's {@code alloc_bytes} can be checked against bounds.
 */
@Path("/load")
@Produces(MediaType.TEXT_PLAIN)
public class LoadApi {

    static final long LARGE = 4L << 20;
    static final long ASYNC = 1L << 20;
    static final long OVERRUN = 40L << 20;
    static final ExecutorService POOL = Executors.newFixedThreadPool(4);

    /** Thrown by {@code /fail}, mapped to 409. */
    public static final class Conflict extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Conflict(String id) {
            super(id);
        }
    }

    /** Maps {@link Conflict} to 409 with the id as body. */
    @Provider
    public static final class ConflictMapper implements ExceptionMapper<Conflict> {
        @Override
        public Response toResponse(Conflict e) {
            return Response.status(409).entity(e.getMessage()).type(MediaType.TEXT_PLAIN).build();
        }
    }

    @GET
    @Path("small/{id}")
    public String small(@PathParam("id") String id) {
        return id;
    }

    @GET
    @Path("large/{id}")
    public String large(@PathParam("id") String id) {
        Allocate.bytes(LARGE);
        return id;
    }

    @GET
    @Path("overrun/{id}")
    public String overrun(@PathParam("id") String id) {
        Allocate.bytes(OVERRUN);
        return id;
    }

    @GET
    @Path("fail/{id}")
    public String fail(@PathParam("id") String id) {
        throw new Conflict(id);
    }

    @GET
    @Path("crash/{id}")
    public String crash(@PathParam("id") String id) {
        throw new IllegalStateException("unmapped " + id);
    }

    @GET
    @Path("async/{id}")
    public void async(@PathParam("id") String id, @Suspended AsyncResponse response) {
        CompletableFuture.runAsync(() -> {
            Allocate.bytes(ASYNC);
            response.resume(id);
        }, AllocLine.wrap(POOL));
    }
}
