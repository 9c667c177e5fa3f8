package dev.allocline.benchmarks;

import dev.allocline.jersey.AllocLineFeature;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.time.Duration;
import jdk.jfr.Recording;
import org.glassfish.jersey.internal.MapPropertiesDelegate;
import org.glassfish.jersey.server.ApplicationHandler;
import org.glassfish.jersey.server.ContainerRequest;
import org.glassfish.jersey.server.ResourceConfig;

/**
 * Writes a large JFR recording of the kind an on-call engineer hands to {@code allocline-jfr}: hello-world
 * requests through the Feature in-process (one in seven allocating 256 KiB, the rest 4 KiB), recorded with
 * allocline's stretch and line events, allocation samples at 20,000/s with stacks, and
 * {@code jdk.ObjectAllocationInNewTLAB} with stacks (the bulk a busy continuous recording holds), until the
 * recording reaches the size asked for. {@code java -cp benchmarks.jar dev.allocline.benchmarks.LargeRecording
 * OUT.jfr MIB}. Used to measure the command's heap on a 1 GB file (docs/profiles-and-s3.md).
 *
 * <p>What could make the figure lie: the proportion of stretch events to other events sets how much the
 * command keeps (it keeps stretches, not the rest); here there are two stretches per request, and requests
 * are as small as Jersey allows, so the file holds more stretches per byte than a real service's would.
 */
public final class LargeRecording {
    /** The requests' resource. */
    @Path("/")
    public static class R {
        static volatile Object sink;
        @GET @Path("a/{kib}") public String a(@PathParam("kib") int kib) { for (int i = 0; i < kib; i++) sink = new byte[1024]; return "a"; }
    }
    private LargeRecording() {
    }

    public static void main(String[] args) throws Exception {
        long targetBytes = Long.parseLong(args[1]) << 20;
        java.nio.file.Path out = java.nio.file.Path.of(args[0]);
        ApplicationHandler app = new ApplicationHandler(new ResourceConfig(R.class).register(
                AllocLineFeature.builder().defaultSink(false).sink(l -> { }).build()));
        try (Recording r = new Recording()) {
            r.enable("dev.allocline.Request");
            r.enable("dev.allocline.Line");
            r.enable("jdk.ObjectAllocationSample").with("throttle", "20000/s").withStackTrace();
            r.enable("jdk.ObjectAllocationInNewTLAB").withStackTrace(); // bulk: what a busy continuous recording holds
            r.setToDisk(true);
            r.start();
            URI base = URI.create("http://localhost/");
            long n = 0;
            while (true) {
                for (int i = 0; i < 2000; i++, n++) {
                    ContainerRequest q = new ContainerRequest(base, base.resolve("a/" + (n % 7 == 0 ? 256 : 4)), "GET", null,
                            new MapPropertiesDelegate(), app.getConfiguration());
                    app.apply(q, new ByteArrayOutputStream()).get();
                }
                long size = r.getSize();
                if (n % 100000 == 0) System.out.println(n + " requests, " + (size >> 20) + " MiB");
                if (size >= targetBytes) break;
            }
            r.stop();
            r.dump(out);
            System.out.println(n + " requests, file " + (java.nio.file.Files.size(out) >> 20) + " MiB");
        }
    }
}
