package dev.allocline.quarkus.otel;

import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;

/** A resource that allocates a known amount on a worker thread, and the span exporter quarkus-opentelemetry uses. */
@Path("/traced")
public class Traced {

    /** Keeps the last array reachable, so no allocation can be optimised away. */
    static volatile Object sink;

    @GET
    @Path("/{mib}")
    public String allocate(@PathParam("mib") int mib) {
        for (int i = 0; i < mib; i++) {
            sink = new byte[1 << 20];
        }
        return "allocated " + mib + " MiB";
    }

    /** quarkus-opentelemetry exports to every {@code SpanExporter} bean: this one keeps the spans for the test. */
    @ApplicationScoped
    public static class Exporter {
        @Produces
        @Singleton
        InMemorySpanExporter spans() {
            return InMemorySpanExporter.create();
        }
    }
}
