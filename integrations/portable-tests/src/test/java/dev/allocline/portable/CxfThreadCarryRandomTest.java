package dev.allocline.portable;

import static dev.allocline.portable.ThreadCarry.Kind.later;
import static dev.allocline.portable.ThreadCarry.Kind.sync;

import dev.allocline.jaxrs.AllocLineFilter;
import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.servlet.Servlets;
import io.undertow.servlet.api.DeploymentManager;
import io.undertow.servlet.util.ImmediateInstanceFactory;
import jakarta.servlet.Servlet;
import jakarta.ws.rs.core.Application;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import org.apache.cxf.jaxrs.servlet.CXFNonSpringJaxrsServlet;
import org.junit.jupiter.api.Test;

/**
 * {@link ThreadCarry} on Apache CXF with {@code allocline-cxf}, with the portable filter pair. CXF's JAX-RS
 * runtime is served by its own servlet ({@code CXFNonSpringJaxrsServlet}) on Undertow with one worker thread:
 * Jetty, CXF's default transport, reserves pool threads for its selectors and cannot be given a single request
 * thread to probe. CXF execution only.
 */
class CxfThreadCarryRandomTest {

    @Test
    void theFilterChargesNoLineAnotherRequestsOrThePoolsWorkAndLeavesNothingOnTheWorker() throws Exception {
        AllocLineFilter filter = AllocLineFilter.builder().defaultSink(false).requestIdHeader("X-Request-Id")
                .sink(ThreadCarry.LINES::add).build();
        Application app = new Application() {
            @Override
            public Set<Object> getSingletons() {
                return Set.of(filter, new ThreadCarry.Api());
            }
        };
        Servlet servlet = new CXFNonSpringJaxrsServlet(app);
        DeploymentManager manager = Servlets.defaultContainer().addDeployment(Servlets.deployment()
                .setClassLoader(CxfThreadCarryRandomTest.class.getClassLoader()).setContextPath("/api")
                .setDeploymentName("cxf").addServlet(Servlets.servlet("cxf", CXFNonSpringJaxrsServlet.class,
                        new ImmediateInstanceFactory<>(servlet)).addMapping("/*").setAsyncSupported(true)));
        manager.deploy();
        Undertow undertow = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1).setWorkerThreads(1)
                .setHandler(Handlers.path().addPrefixPath("/api", manager.start())).build();
        undertow.start();
        try (filter) {
            int port = ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
            String base = "http://127.0.0.1:" + port + "/api";
            ThreadCarry.run("filter on CXF", new ThreadCarry.Container() {
                @Override
                public String base() {
                    return base;
                }

                @Override
                public List<java.util.concurrent.Executor> threads() {
                    return List.of(undertow.getWorker());
                }

                @Override
                public void close() {
                }
            }, List.of(sync("sync", 200, true), sync("fail", 500, true), sync("wrapped", 200, true),
                    later("stage", 200), later("suspend", 200), later("never", 503)));
        } finally {
            undertow.stop();
            manager.undeploy();
        }
    }
}
