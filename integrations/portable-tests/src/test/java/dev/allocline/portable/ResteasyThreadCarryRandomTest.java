package dev.allocline.portable;

import static dev.allocline.portable.ThreadCarry.Kind.later;
import static dev.allocline.portable.ThreadCarry.Kind.sync;

import dev.allocline.jaxrs.AllocLineFilter;
import io.undertow.Undertow;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Application;
import jakarta.ws.rs.core.MediaType;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import org.jboss.resteasy.plugins.server.undertow.UndertowJaxrsServer;
import org.junit.jupiter.api.Test;

/**
 * {@link ThreadCarry} on RESTEasy 7 (Undertow with one worker thread, whose XNIO worker runs the test's
 * unrelated work and probes), with the portable filter pair: RESTEasy's own asynchronous result types (a type
 * registered through its {@code AsyncResponseProvider} SPI) beside the standard ones. RESTEasy execution only.
 */
class ResteasyThreadCarryRandomTest {

    @Path("/k")
    @Produces(MediaType.TEXT_PLAIN)
    public static final class LaterApi {
        @GET
        @Path("later/{id}/{n}")
        public ResteasyAsyncTypesTest.Later<String> later(@PathParam("id") String id, @PathParam("n") long n) {
            ThreadCarry.allocate(n);
            return new ResteasyAsyncTypesTest.Later<>(ThreadCarry.pendingStage(id));
        }
    }

    @Test
    void theFilterChargesNoLineAnotherRequestsOrThePoolsWorkAndLeavesNothingOnTheWorker() throws Exception {
        AllocLineFilter filter = AllocLineFilter.builder().defaultSink(false).requestIdHeader("X-Request-Id")
                .sink(ThreadCarry.LINES::add).build();
        Application app = new Application() {
            @Override
            public Set<Object> getSingletons() {
                return Set.of(filter, new ThreadCarry.Api(), new LaterApi(), new ResteasyAsyncTypesTest.LaterProvider());
            }
        };
        OneWorkerUndertow server = new OneWorkerUndertow();
        server.start(Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1).setWorkerThreads(1));
        try (filter) {
            server.deploy(app, "/api");
            ExecutorService worker = server.undertow().getWorker();
            int port = ((InetSocketAddress) server.undertow().getListenerInfo().get(0).getAddress()).getPort();
            String base = "http://127.0.0.1:" + port + "/api";
            ThreadCarry.run("filter on RESTEasy", new ThreadCarry.Container() {
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
                }
            }, List.of(sync("sync", 200, true), sync("fail", 500, true), sync("wrapped", 200, true),
                    later("stage", 200), later("suspend", 200), later("never", 503), later("later", 200)));
        } finally {
            server.stop();
        }
    }

    /** RESTEasy's embedded Undertow server, whose Undertow (and so its one worker) the test needs. */
    static final class OneWorkerUndertow extends UndertowJaxrsServer {
        Undertow undertow() {
            return server;
        }
    }
}
