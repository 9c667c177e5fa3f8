package dev.allocline.quarkus.test;

import dev.allocline.AllocLine;
import io.smallrye.common.annotation.NonBlocking;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.MessageBodyWriter;
import jakarta.ws.rs.ext.Provider;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.locks.LockSupport;

/** Resources that allocate known amounts where Quarkus REST runs them. */
@Path("/alloc")
public class Allocating {

    static final int MIB = 1 << 20;

    /** Keeps the last array reachable, so no allocation can be optimised away. */
    static volatile Object sink;

    @Inject
    Vertx vertx;

    /** Allocates {@code mib} MiB, one MiB at a time. */
    static void allocate(int mib, boolean park) {
        for (int i = 0; i < mib; i++) {
            sink = new byte[MIB];
            if (park) {
                LockSupport.parkNanos(1_000_000L);
            }
        }
    }

    /** A plain method: Quarkus REST runs it on a worker thread. */
    @GET
    @Path("/worker/{mib}")
    @Produces(MediaType.TEXT_PLAIN)
    public String worker(@PathParam("mib") int mib) {
        AllocLine.put("mib", mib);
        AllocLine.put("seen_id", AllocLine.requestId().orElse("none"));
        org.jboss.logging.Logger.getLogger(Allocating.class).info("building the report");
        allocate(mib, true);
        AllocLine.put("so_far", AllocLine.allocatedBytes().orElse(-1));
        return "ok";
    }

    /** On the event loop, answered at once; the writer allocates. */
    @GET
    @Path("/loop/{mib}")
    @NonBlocking
    @Produces(MediaType.TEXT_PLAIN)
    public Allocation loop(@PathParam("mib") int mib) {
        return new Allocation(mib);
    }

    /**
     * Suspends the request on the event loop for {@code ms}; when the stage completes the request resumes there
     * and its writer allocates {@code mib} MiB. In between, the event loop serves other requests.
     */
    @GET
    @Path("/suspended/{mib}/{ms}")
    @Produces(MediaType.TEXT_PLAIN)
    public CompletionStage<Allocation> suspended(@PathParam("mib") int mib, @PathParam("ms") long ms) {
        CompletableFuture<Allocation> f = new CompletableFuture<>();
        vertx.setTimer(ms, id -> f.complete(new Allocation(mib)));
        return f;
    }

    @GET
    @Path("/mapped")
    public String mapped() {
        throw new Conflict();
    }

    @GET
    @Path("/unmapped/{mib}")
    public String unmapped(@PathParam("mib") int mib) {
        allocate(mib, false);
        throw new IllegalStateException("unmapped on purpose");
    }

    @GET
    @Path("/missing")
    public String missing() {
        throw new NotFoundException();
    }

    /** An entity whose writing allocates {@code mib} MiB. */
    public record Allocation(int mib) {
    }

    /** Mapped to 409. */
    public static final class Conflict extends RuntimeException {
    }

    @Provider
    public static final class ConflictMapper implements ExceptionMapper<Conflict> {
        @Override
        public Response toResponse(Conflict exception) {
            return Response.status(409).entity("conflict").build();
        }
    }

    @Provider
    @Produces(MediaType.TEXT_PLAIN)
    public static final class AllocationWriter implements MessageBodyWriter<Allocation> {
        @Override
        public boolean isWriteable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
            return type == Allocation.class;
        }

        @Override
        public void writeTo(Allocation a, Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType,
                MultivaluedMap<String, Object> httpHeaders, OutputStream entityStream) throws IOException,
                WebApplicationException {
            allocate(a.mib(), false);
            entityStream.write(("allocated " + a.mib()).getBytes(StandardCharsets.UTF_8));
        }
    }
}
