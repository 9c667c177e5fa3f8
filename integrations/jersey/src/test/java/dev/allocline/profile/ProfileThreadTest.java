package dev.allocline.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.testing.InProcess;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.ProfiledApi;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The profile thread is started by the first overrun, on that request's thread: it must take neither the
 * request thread's context class loader (a web application's) nor its inheritable thread-locals with it.
 */
class ProfileThreadTest {

    static final InheritableThreadLocal<String> REQUEST_SCOPED = new InheritableThreadLocal<>();

    @Test
    void theProfileThreadHoldsNeitherTheRequestThreadsClassLoaderNorItsInheritableLocals(@TempDir Path tmp)
            throws Exception {
        CompletableFuture<ClassLoader> loaderSeen = new CompletableFuture<>();
        CompletableFuture<Optional<String>> localSeen = new CompletableFuture<>();
        ProfileStore store = (key, file) -> {
            loaderSeen.complete(Thread.currentThread().getContextClassLoader());
            localSeen.complete(Optional.ofNullable(REQUEST_SCOPED.get()));
            return "seen://" + key;
        };
        LineCollector lines = new LineCollector();
        InProcess app = new InProcess(new ResourceConfig(ProfiledApi.class).register(AllocLineFeature.builder()
                .defaultSink(false).sink(lines).profileThresholdBytes(8L << 20).profileStore(store)
                .profileTempDirectory(tmp.resolve("work")).build()));
        AtomicInteger status = new AtomicInteger();
        // In-process Jersey serves the request on the calling thread: this one stands for a container's.
        Thread request = new Thread(() -> {
            REQUEST_SCOPED.set("tenant-of-this-request");
            status.set(app.send("GET", "/profiled/overrun/16"));
        }, "request-thread");
        request.setContextClassLoader(new URLClassLoader(new URL[0], null));
        request.start();
        request.join();
        assertEquals(200, status.get());
        assertEquals(true, lines.next().profileKey().isPresent());
        assertNull(loaderSeen.get(60, TimeUnit.SECONDS), "the profile thread has no context class loader");
        assertEquals(Optional.empty(), localSeen.get(60, TimeUnit.SECONDS),
                "the profile thread inherited none of the request thread's inheritable thread-locals");
    }
}
