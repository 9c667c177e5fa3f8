package dev.allocline.dropwizard;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.core.Application;
import io.dropwizard.core.Configuration;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import jakarta.validation.Valid;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** A Dropwizard service as its users write it: the bundle added, an {@code allocline:} block in its YAML. */
public class ClustersService extends Application<ClustersService.Config> {

    public static class Config extends Configuration {
        @Valid
        @JsonProperty("allocline")
        private AllocLineFactory allocline = new AllocLineFactory();

        public AllocLineFactory getAllocLine() {
            return allocline;
        }
    }

    @Override
    public void initialize(Bootstrap<Config> bootstrap) {
        bootstrap.addBundle(new AllocLineBundle<>(Config::getAllocLine));
    }

    @Override
    public void run(Config config, Environment environment) {
        environment.jersey().register(new Clusters());
    }

    @Path("/clusters")
    @Produces(MediaType.TEXT_PLAIN)
    public static class Clusters {
        @GET
        @Path("{id}")
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
        public String heavy(@PathParam("mib") int mib) {
            java.util.List<byte[]> kept = new java.util.ArrayList<>();
            for (int i = 0; i < mib * 16; i++) {
                kept.add(new byte[64 * 1024]);
            }
            return Integer.toString(kept.size());
        }
    }
}
