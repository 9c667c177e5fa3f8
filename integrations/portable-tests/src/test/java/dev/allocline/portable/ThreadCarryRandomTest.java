package dev.allocline.portable;

import static dev.allocline.portable.ThreadCarry.Kind.later;
import static dev.allocline.portable.ThreadCarry.Kind.sync;

import dev.allocline.jaxrs.AllocLineFilter;
import dev.allocline.jersey.AllocLineFeature;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.net.URI;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpServerFactory;
import org.glassfish.jersey.server.ManagedAsync;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Test;

/**
 * {@link ThreadCarry} on Jersey (Grizzly, its worker pool replaced by one thread of the test's), for both entry
 * points allocline ships there: the Feature (Jersey's events: every body counted, whatever the method returns)
 * and the portable filter pair (a body the filter cannot follow past the method's start is not counted).
 */
class ThreadCarryRandomTest {

    @Path("/k")
    @Produces(MediaType.TEXT_PLAIN)
    public static final class ManagedApi {
        @GET
        @Path("managed/{id}/{n}")
        @ManagedAsync
        public String managed(@PathParam("id") String id, @PathParam("n") long n) {
            ThreadCarry.allocate(n);
            return "ok";
        }
    }

    @Test
    void theFeatureChargesNoLineAnotherRequestsOrThePoolsWorkAndLeavesNothingOnTheWorker() throws Exception {
        ResourceConfig rc = new ResourceConfig(ThreadCarry.Api.class, ManagedApi.class);
        rc.register(AllocLineFeature.builder().defaultSink(false).requestIdHeader("X-Request-Id")
                .sink(ThreadCarry.LINES::add).build());
        try (Grizzly container = new Grizzly(rc)) {
            // Jersey's events follow every body, wherever the method hands its request afterwards.
            ThreadCarry.run("feature", container, List.of(sync("sync", 200, true), sync("fail", 500, true),
                    sync("wrapped", 200, true), sync("managed", 200, true), later("stage", 200).countingBody(),
                    later("object", 200).countingBody(), later("future", 200).countingBody(), later("suspend", 200).countingBody(),
                    later("never", 503).countingBody()));
        }
    }

    @Test
    void theFilterChargesNoLineAnotherRequestsOrThePoolsWorkAndLeavesNothingOnTheWorker() throws Exception {
        try (AllocLineFilter filter = AllocLineFilter.builder().defaultSink(false).requestIdHeader("X-Request-Id")
                .sink(ThreadCarry.LINES::add).build();
                Grizzly container = new Grizzly(new ResourceConfig(ThreadCarry.Api.class, ManagedApi.class)
                        .register(filter))) {
            ThreadCarry.run("filter on Jersey", container, List.of(sync("sync", 200, true), sync("fail", 500, true),
                    sync("wrapped", 200, true), sync("managed", 200, false), later("stage", 200),
                    later("object", 200), later("future", 200), later("suspend", 200), later("never", 503)));
        }
    }

    /** Grizzly with one worker thread. */
    static final class Grizzly implements ThreadCarry.Container {
        final ExecutorService worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "the-only-worker"));
        final HttpServer server;
        final String base;

        Grizzly(ResourceConfig rc) throws Exception {
            server = GrizzlyHttpServerFactory.createHttpServer(URI.create("http://127.0.0.1:0/api"), rc, false);
            NetworkListener listener = server.getListeners().iterator().next();
            listener.getTransport().setWorkerThreadPool(worker);
            server.start();
            base = "http://127.0.0.1:" + listener.getPort() + "/api";
        }

        @Override
        public String base() {
            return base;
        }

        @Override
        public List<java.util.concurrent.Executor> threads() {
            return List.of(worker);
        }

        @Override
        public void close() {
            server.shutdownNow();
            worker.shutdownNow();
        }
    }
}
