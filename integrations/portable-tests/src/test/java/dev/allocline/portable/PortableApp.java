package dev.allocline.portable;

import dev.allocline.AllocLine;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.Application;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.MessageBodyWriter;
import jakarta.ws.rs.ext.Provider;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** A plain Jakarta REST application: the filter is registered the standard way, in getSingletons(). */
public final class PortableApp extends Application {

    static final ExecutorService POOL = Executors.newFixedThreadPool(2);
    static volatile Object sink;

    private final Object filter;

    PortableApp(Object filter) {
        this.filter = filter;
    }

    @Override
    public Set<Object> getSingletons() {
        return Set.of(filter, new Api(), new ConflictMapper(), new HeavyWriter(), new Unauthorized());
    }

    static void allocate(long bytes) {
        for (long left = bytes; left > 0; left -= 1 << 20) {
            sink = new byte[(int) Math.max(0, Math.min(left, 1 << 20) - 16)];
        }
    }

    /** Thrown by a resource, mapped by the application to 409. */
    public static final class Conflict extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    @Provider
    public static final class ConflictMapper implements ExceptionMapper<Conflict> {
        @Override
        public Response toResponse(Conflict e) {
            return Response.status(409).entity("conflict").type(MediaType.TEXT_PLAIN).build();
        }
    }

    /** The application's own authentication: answers 401 after matching, before the method. */
    @Provider
    @jakarta.annotation.Priority(jakarta.ws.rs.Priorities.AUTHENTICATION)
    public static final class Unauthorized implements jakarta.ws.rs.container.ContainerRequestFilter {
        @Override
        public void filter(jakarta.ws.rs.container.ContainerRequestContext ctx) {
            if (ctx.getUriInfo().getPath().contains("secret")) {
                ctx.abortWith(Response.status(401).build());
            }
        }
    }

    /** An entity whose bytes are allocated while it is written, i.e. after every response filter. */
    public static final class Heavy {
        final long bytes;

        Heavy(long bytes) {
            this.bytes = bytes;
        }
    }

    @Provider
    @Produces(MediaType.TEXT_PLAIN)
    public static final class HeavyWriter implements MessageBodyWriter<Heavy> {
        @Override
        public boolean isWriteable(Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
            return type == Heavy.class;
        }

        @Override
        public void writeTo(Heavy heavy, Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType,
                            MultivaluedMap<String, Object> headers, OutputStream out) throws java.io.IOException {
            allocate(heavy.bytes);
            out.write("heavy".getBytes(StandardCharsets.US_ASCII));
        }
    }

    @Path("/p")
    @Produces(MediaType.TEXT_PLAIN)
    public static final class Api {
        @GET
        @Path("hello")
        public String hello() {
            AllocLine.put("greeting", "hello");
            return "hello " + AllocLine.requestId().orElse("none");
        }

        @GET
        @Path("alloc/{bytes}")
        public String alloc(@PathParam("bytes") long bytes) {
            allocate(bytes);
            return "ok";
        }

        @GET
        @Path("heavy/{bytes}")
        public Heavy heavy(@PathParam("bytes") long bytes) {
            return new Heavy(bytes);
        }

        @GET
        @Path("stream/{chunks}")
        public StreamingOutput stream(@PathParam("chunks") int chunks) {
            return out -> {
                for (int i = 0; i < chunks; i++) {
                    byte[] chunk = new byte[64 * 1024];
                    sink = chunk;
                    out.write(chunk, 0, 16);
                    out.flush();
                }
            };
        }

        /** Streams until the client goes away. */
        @GET
        @Path("endless")
        public StreamingOutput endless() {
            return out -> {
                byte[] chunk = new byte[8192];
                for (int i = 0; i < 1_000_000; i++) {
                    out.write(chunk);
                    out.flush();
                }
            };
        }

        @GET
        @Path("mapped")
        public String mapped() {
            throw new Conflict();
        }

        @GET
        @Path("unmapped")
        public String unmapped() {
            throw new IllegalStateException("not mapped by the application");
        }

        @GET
        @Path("resumed/{bytes}")
        public void resumed(@PathParam("bytes") long bytes, @Suspended AsyncResponse response) {
            POOL.execute(() -> response.resume(new Heavy(bytes)));
        }

        @GET
        @Path("wrapped/{bytes}")
        public String wrapped(@PathParam("bytes") long bytes) throws Exception {
            return AllocLine.wrap(POOL).submit(() -> {
                allocate(bytes);
                AllocLine.put("where", "wrapped");
                return "wrapped";
            }).get();
        }

        /** Wraps from the body of a suspended method: the portable filter has left the request there. */
        @GET
        @Path("wrapped-suspended/{bytes}")
        public void wrappedSuspended(@PathParam("bytes") long bytes, @Suspended AsyncResponse response) {
            AllocLine.wrap(POOL).execute(() -> {
                allocate(bytes);
                AllocLine.put("where", "wrapped");
                response.resume("wrapped");
            });
        }

        @GET
        @Path("secret/{id}")
        public String secret(@PathParam("id") long id) {
            return "secret " + id;
        }

        @GET
        @Path("users/{id: [0-9]+}")
        public String user(@PathParam("id") long id) {
            return "user " + id;
        }
    }
}
