package dev.allocline.spring.boot.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.glassfish.jersey.server.ResourceConfig;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** A Boot service as its users write it: Boot's Jersey starter, a ResourceConfig bean, no allocline code. */
@SpringBootApplication
public class DemoApplication {

    @Bean
    ResourceConfig jersey() {
        return new ResourceConfig(Clusters.class);
    }

    /** Boot's metrics auto-configuration is not on this test class path: the application's own registry. */
    @Bean
    MeterRegistry meterRegistry() {
        return new SimpleMeterRegistry();
    }

    @Path("/clusters")
    public static class Clusters {
        @GET
        @Path("{id}")
        @Produces(MediaType.TEXT_PLAIN)
        public String cluster(@PathParam("id") String id) {
            StringBuilder body = new StringBuilder();
            for (int i = 0; i < 1000; i++) {
                body.append(id).append(':').append(i).append('\n');
            }
            return body.toString();
        }

        @GET
        @Path("ping")
        public String ping() {
            return "pong";
        }

        /** Allocates {@code mib} MiB in 64 KiB arrays, kept until the answer (the incident's shape, small). */
        @GET
        @Path("heavy/{mib}")
        @Produces(MediaType.TEXT_PLAIN)
        public String heavy(@PathParam("mib") int mib) {
            java.util.List<byte[]> kept = new java.util.ArrayList<>();
            for (int i = 0; i < mib * 16; i++) {
                kept.add(new byte[64 * 1024]);
            }
            return Integer.toString(kept.size());
        }
    }
}
