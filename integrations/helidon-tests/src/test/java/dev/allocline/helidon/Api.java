package dev.allocline.helidon;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** The service's resource: allocates a known number of bytes and says which kind of thread served it. */
@Path("/")
@Produces(MediaType.TEXT_PLAIN)
public class Api {

    static final long MIB = 1L << 20;

    /** Keeps each allocation reachable until the next, so the JIT cannot remove it. */
    static volatile byte[] kept;

    /** Allocates exactly {@code mib} MiB (a byte array of n - 16 bytes is n bytes with its header). */
    @GET
    @Path("alloc/{mib}")
    public String alloc(@PathParam("mib") int mib) {
        for (int i = 0; i < mib; i++) {
            kept = new byte[(int) MIB - 16];
        }
        return "virtual=" + Thread.currentThread().isVirtual();
    }
}
