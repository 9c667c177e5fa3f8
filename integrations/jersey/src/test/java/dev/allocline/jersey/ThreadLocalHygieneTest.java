package dev.allocline.jersey;

import dev.allocline.AllocLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.allocline.testing.Allocate;
import dev.allocline.testing.Gc;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.LoopbackServer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.ext.Provider;
import java.lang.ref.WeakReference;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.glassfish.jersey.internal.MapPropertiesDelegate;
import org.glassfish.jersey.server.ApplicationHandler;
import org.glassfish.jersey.server.ContainerRequest;
import org.glassfish.jersey.server.ManagedAsync;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.server.monitoring.RequestEvent;
import org.glassfish.jersey.server.monitoring.RequestEventListener;
import org.junit.jupiter.api.Test;

/**
 * After a request, nothing of it stays referenced from a thread-local on any thread it touched: on a
 * servlet container a stale reference would pin the web application's class loader across redeploys.
 * Proved by collecting: every request's accounting must become unreachable once its line is out.
 */
class ThreadLocalHygieneTest {

    static final List<WeakReference<Object>> ACCOUNTINGS = new CopyOnWriteArrayList<>();
    static final ExecutorService POOL = Executors.newFixedThreadPool(2);

    @Provider
    @PreMatching
    public static final class Remember implements ContainerRequestFilter {
        @Override
        public void filter(ContainerRequestContext ctx) {
            ACCOUNTINGS.add(new WeakReference<>(ctx.getProperty(AllocLine.REQUEST_PROPERTY)));
        }
    }

    @Path("/tl")
    @Produces(MediaType.TEXT_PLAIN)
    public static final class Api {
        @GET
        @Path("sync")
        public String sync() {
            Allocate.bytes(1000);
            return "sync";
        }

        @GET
        @Path("managed")
        @ManagedAsync
        public String managed() {
            return "managed";
        }

        @GET
        @Path("resumed")
        public void resumed(@Suspended AsyncResponse r) {
            POOL.execute(() -> r.resume("resumed"));
        }

        @GET
        @Path("wrapped")
        public void wrapped(@Suspended AsyncResponse r) {
            AllocLine.wrap(POOL).execute(() -> r.resume("wrapped"));
        }

        @GET
        @Path("fails")
        public String fails() {
            throw new IllegalStateException("unmapped");
        }
    }

    @Test
    void noThreadKeepsARequestAfterItsLine() {
        ACCOUNTINGS.clear();
        LineCollector lines = new LineCollector();
        ResourceConfig rc = new ResourceConfig(Api.class, Remember.class).register(AllocLineFeature.builder().defaultSink(false)
                .sink(lines).sink(line -> {
                    throw new IllegalStateException("a throwing sink");
                }).build());
        try (LoopbackServer server = LoopbackServer.start(rc)) {
            int n = 0;
            for (int round = 0; round < 5; round++) {
                for (String p : new String[] {"sync", "managed", "resumed", "wrapped", "fails"}) {
                    server.get("/tl/" + p);
                    lines.next();
                    n++;
                }
            }
            assertEquals(n, ACCOUNTINGS.size());
            Gc.awaitCleared("request accountings", ACCOUNTINGS);
        }
    }

    @Test
    void aLateEventAfterTheLineLeavesNothingOnTheThread() {
        ACCOUNTINGS.clear();
        LineCollector lines = new LineCollector();
        ApplicationHandler app = new ApplicationHandler(Apps.withFeature(lines, Api.class, Remember.class));
        send(app, new MapPropertiesDelegate());
        lines.next();
        RequestEventListener accounting = (RequestEventListener) ACCOUNTINGS.get(0).get();
        assertNotNull(accounting);
        // Jersey may still deliver an event (an exception while closing the response) after FINISHED.
        accounting.onEvent(event(RequestEvent.Type.ON_EXCEPTION));
        accounting.onEvent(event(RequestEvent.Type.EXCEPTION_MAPPING_FINISHED));
        accounting = null;
        Gc.awaitCleared("request accountings", ACCOUNTINGS);
    }

    @Test
    void aFailureStoringTheBaselineLeavesNothingOnTheThread() {
        List<WeakReference<Object>> refused = new ArrayList<>();
        LineCollector lines = new LineCollector();
        ApplicationHandler app = new ApplicationHandler(Apps.withFeature(lines, Api.class));
        MapPropertiesDelegate real = new MapPropertiesDelegate();
        send(app, new org.glassfish.jersey.internal.PropertiesDelegate() {
            @Override
            public Object getProperty(String name) {
                return real.getProperty(name);
            }

            @Override
            public java.util.Collection<String> getPropertyNames() {
                return real.getPropertyNames();
            }

            @Override
            public void setProperty(String name, Object value) {
                if (AllocLine.REQUEST_PROPERTY.equals(name)) {
                    refused.add(new WeakReference<>(value));
                    throw new UnsupportedOperationException("this container refuses properties");
                }
                real.setProperty(name, value);
            }

            @Override
            public void removeProperty(String name) {
                real.removeProperty(name);
            }
        });
        assertEquals(1, refused.size());
        Gc.awaitCleared("refused accountings", refused);
    }

    private static void send(ApplicationHandler app, org.glassfish.jersey.internal.PropertiesDelegate properties) {
        ContainerRequest request = new ContainerRequest(URI.create("http://localhost/"),
                URI.create("http://localhost/tl/sync"), "GET", null, properties, app.getConfiguration());
        try {
            assertEquals(200, app.apply(request, new java.io.ByteArrayOutputStream()).get().getStatus());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static RequestEvent event(RequestEvent.Type type) {
        return (RequestEvent) Proxy.newProxyInstance(RequestEvent.class.getClassLoader(), new Class<?>[] {RequestEvent.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "getType":
                            return type;
                        case "isSuccess":
                        case "isResponseSuccessfullyMapped":
                        case "isResponseWritten":
                        case "isExceptionMapped":
                            return false;
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "equals":
                            return proxy == args[0];
                        default:
                            return null;
                    }
                });
    }
}
