package dev.allocline.jersey;

import dev.allocline.testing.Allocate;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Resources shared by the filter's tests: each endpoint is one situation a request can be in. */
@Path("/")
@Produces(MediaType.TEXT_PLAIN)
public class TestApi {

    /** Thrown by {@code /mapped}; mapped to 409 by {@link ConflictMapper}. */
    public static final class ConflictException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ConflictException() {
            super("conflict");
        }
    }

    /** Maps {@link ConflictException} to 409. */
    @Provider
    public static final class ConflictMapper implements ExceptionMapper<ConflictException> {
        @Override
        public Response toResponse(ConflictException e) {
            return Response.status(409).entity("conflict").type(MediaType.TEXT_PLAIN).build();
        }
    }

    @GET
    @Path("hello")
    public String hello() {
        return "hello";
    }

    @GET
    @Path("alloc/{bytes}")
    public String alloc(@PathParam("bytes") long bytes) {
        Allocate.bytes(bytes);
        return "ok";
    }

    @GET
    @Path("mapped")
    public String mapped() {
        throw new ConflictException();
    }

    @GET
    @Path("unmapped")
    public String unmapped() {
        throw new IllegalStateException("boom");
    }

    @GET
    @Path("web-error")
    public String webError() {
        throw new WebApplicationException(418);
    }

    @GET
    @Path("timeout")
    public void timeout(@Suspended AsyncResponse response) {
        response.setTimeout(100, TimeUnit.MILLISECONDS);
    }

    /** Writes {@code chunks} chunks of 64 KiB, allocating each chunk while the entity is written. */
    @GET
    @Path("stream/{chunks}")
    @Produces(MediaType.APPLICATION_OCTET_STREAM)
    public StreamingOutput stream(@PathParam("chunks") int chunks) {
        return out -> {
            for (int i = 0; i < chunks; i++) {
                byte[] chunk = new byte[64 * 1024];
                Allocate.sink = chunk;
                out.write(chunk);
                out.flush();
            }
        };
    }

    /** A large list for the JSON writer: about {@code n} entries of ~100 characters each. */
    @GET
    @Path("json/{n}")
    @Produces(MediaType.APPLICATION_JSON)
    public List<Row> json(@PathParam("n") int n) {
        List<Row> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            rows.add(new Row(i, "name-" + i, "a moderately long description for row number " + i));
        }
        return rows;
    }

    /**
     * {@code n} references to one row whose description Jackson builds while it writes the entity: the
     * resource method allocates almost nothing, so the request's bytes are the serialisation's.
     */
    @GET
    @Path("json-generated/{n}")
    @Produces(MediaType.APPLICATION_JSON)
    public List<GeneratedRow> jsonGenerated(@PathParam("n") int n) {
        return java.util.Collections.nCopies(n, GeneratedRow.INSTANCE);
    }

    /** A row whose description is built on every call of its getter, i.e. inside Jackson's write. */
    public static final class GeneratedRow {
        static final GeneratedRow INSTANCE = new GeneratedRow();
        /** Characters of each description (Latin-1: one byte each, plus the String and array headers). */
        public static final int DESCRIPTION_CHARS = 1000;

        public int getId() {
            return 7;
        }

        public String getDescription() {
            return "d".repeat(DESCRIPTION_CHARS);
        }
    }

    /** A row of the JSON endpoint. */
    public static final class Row {
        public final int id;
        public final String name;
        public final String description;

        Row(int id, String name, String description) {
            this.id = id;
            this.name = name;
            this.description = description;
        }
    }
}
