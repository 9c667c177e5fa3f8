package dev.allocline.testing;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * The resource whose allocations a profile must name. It lives outside the library's packages, as an
 * application's would, and allocates inline so the top frame is this method.
 */
@Path("/profiled")
@Produces(MediaType.TEXT_PLAIN)
public class ProfiledApi {

    @GET
    @Path("overrun/{mib}")
    public String overrun(@PathParam("mib") int mib) {
        long sum = 0;
        for (int i = 0; i < mib; i++) {
            byte[] chunk = new byte[1 << 20];
            Allocate.sink = chunk;
            sum += chunk.length;
        }
        return Long.toString(sum);
    }

    @GET
    @Path("small")
    public String small() {
        return "small";
    }
}
