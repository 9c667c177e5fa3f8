package dev.allocline.quarkus.it;

import dev.allocline.AllocLine;
import io.smallrye.common.annotation.NonBlocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;

/** A service's endpoints that allocate known amounts: on a worker thread (the default), on the event loop. */
@Path("/reports")
public class Reports {

    static final int MIB = 1 << 20;

    /** Keeps the last array reachable, so no allocation can be optimised away. */
    public static volatile Object sink;

    public static void allocate(int mib) {
        for (int i = 0; i < mib; i++) {
            sink = new byte[MIB];
        }
    }

    @GET
    @Path("/{mib}")
    public String build(@PathParam("mib") int mib) {
        AllocLine.put("report_mib", mib);
        allocate(mib);
        return "report of " + mib + " MiB";
    }

    @GET
    @Path("/quick/{mib}")
    @NonBlocking
    public String quick(@PathParam("mib") int mib) {
        allocate(mib);
        return "quick " + mib;
    }

    /** The same failure as {@link #broken()} without its MiB: what Quarkus' error handler costs alone. */
    @GET
    @Path("/broken-empty")
    public String brokenEmpty() {
        throw new IllegalStateException("no mapper for this one");
    }

    @GET
    @Path("/broken")
    public String broken() {
        allocate(1);
        throw new IllegalStateException("no mapper for this one");
    }
}
