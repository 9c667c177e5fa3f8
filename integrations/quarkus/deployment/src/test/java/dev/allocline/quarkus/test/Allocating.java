package dev.allocline.quarkus.test;

import dev.allocline.AllocLine;
import io.smallrye.common.annotation.NonBlocking;
import io.smallrye.mutiny.Uni;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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

    /** Logs at once on the worker thread, while the event loop that dispatched it here may still be leaving. */
    @GET
    @Path("/worker-log")
    @Produces(MediaType.TEXT_PLAIN)
    public String workerLog() {
        org.jboss.logging.Logger.getLogger(Allocating.class).info("logging at once");
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

    /** A Mutiny {@code Uni} resumed by a Vert.x timer: the writer allocates on the resuming thread. */
    @GET
    @Path("/uni/{mib}")
    @Produces(MediaType.TEXT_PLAIN)
    public Uni<Allocation> uni(@PathParam("mib") int mib) {
        return Uni.createFrom().emitter(e -> vertx.setTimer(50, id -> e.complete(new Allocation(mib))));
    }

    /** Half the bytes on a pool thread of the application's own, handed over with {@code AllocLine.wrap}. */
    @GET
    @Path("/wrapped/{mib}")
    @Produces(MediaType.TEXT_PLAIN)
    public String wrapped(@PathParam("mib") int mib) throws Exception {
        POOL.submit(AllocLine.wrap(() -> allocate(mib / 2, false))).get();
        allocate(mib - mib / 2, false);
        return "ok";
    }

    static final ExecutorService POOL = Executors.newFixedThreadPool(2);

    /** Takes {@code ms} before answering with {@code mib} MiB of body: a client may be gone by then. */
    @GET
    @Path("/slow/{mib}/{ms}")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    public byte[] slow(@PathParam("mib") int mib, @PathParam("ms") long ms) throws InterruptedException {
        Thread.sleep(ms);
        allocate(mib, false);
        return new byte[MIB];
    }

    /** What the request context carries for the runs after the first (on this worker thread): the request's id. */
    @GET
    @Path("/carried")
    @Produces(MediaType.TEXT_PLAIN)
    public String carried() {
        Object context = org.jboss.resteasy.reactive.server.core.CurrentRequestManager.get();
        if (!(context instanceof dev.allocline.quarkus.runtime.RequestCarrier)) {
            return "not a carrier: " + context;
        }
        Object request = ((dev.allocline.quarkus.runtime.RequestCarrier) context).allocline$request();
        return request instanceof dev.allocline.internal.accounting.Request
                ? ((dev.allocline.internal.accounting.Request) request).requestId() : "carries " + request;
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
