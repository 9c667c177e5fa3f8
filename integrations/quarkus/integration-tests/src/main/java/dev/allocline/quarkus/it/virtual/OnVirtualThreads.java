package dev.allocline.quarkus.it.virtual;

import dev.allocline.quarkus.it.Reports;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;

/** Compiled on JDK 21+ only. */
@Path("/virtual")
public class OnVirtualThreads {

    @GET
    @RunOnVirtualThread
    public String get() {
        Reports.allocate(2);
        return "virtual";
    }
}
