package dev.allocline.internal.meter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.ref.WeakReference;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The sampler is one thread per JVM, started by whichever application first asks (on a servlet container:
 * a web application's init thread): it must hold nothing of that thread, neither its context class loader
 * nor its inheritable thread-locals, or an undeployed application's loader stays pinned for the JVM's life.
 */
class SamplerThreadTest {

    static final String NAME = "allocline-total-alloc-sampler";

    @Test
    void theSamplerThreadHoldsNeitherTheStartingThreadsClassLoaderNorItsInheritableLocals() throws Exception {
        assumeTrue(ProcessAllocationSampler.isAvailable(), "this JVM has getTotalThreadAllocatedBytes");
        assertEquals(0, ProcessAllocationSampler.leases(), "no sampler runs yet in this JVM (the test starts it)");
        InheritableThreadLocal<Object> requestScoped = new InheritableThreadLocal<>();
        AtomicReference<ProcessAllocationSampler.Lease> lease = new AtomicReference<>();
        WeakReference<ClassLoader> appLoader = startFromAnApplicationThread(requestScoped, lease);
        WeakReference<Object> appValue = new WeakReference<>(APP_VALUE.getAndSet(null));
        try {
            Thread sampler = samplerThread();
            assertNotNull(sampler, "the sampler thread runs");
            assertNull(sampler.getContextClassLoader(), "no context class loader");
            sampler = null;
            // The application is gone: nothing but the sampler could still reach its loader or its value.
            awaitCleared(appLoader, "the application's class loader");
            awaitCleared(appValue, "the application's inheritable thread-local value");
        } finally {
            lease.get().close();
        }
    }

    private static final AtomicReference<Object> APP_VALUE = new AtomicReference<>();

    /** A thread standing for a web application's: its own loader, an inheritable value; it acquires the lease. */
    private static WeakReference<ClassLoader> startFromAnApplicationThread(InheritableThreadLocal<Object> local,
            AtomicReference<ProcessAllocationSampler.Lease> lease) throws InterruptedException {
        ClassLoader loader = new URLClassLoader(new URL[0], null);
        Object value = new Object();
        APP_VALUE.set(value);
        Thread app = new Thread(() -> {
            local.set(value);
            lease.set(ProcessAllocationSampler.acquire(Duration.ofMillis(1)));
        }, "application-init");
        app.setContextClassLoader(loader);
        app.start();
        app.join();
        return new WeakReference<>(loader);
    }

    private static Thread samplerThread() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(NAME)) {
                return t;
            }
        }
        return null;
    }

    /** Collects until {@code ref} is cleared; fails after 10 s of full collections. */
    private static void awaitCleared(WeakReference<?> ref, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ref.get() != null) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(what + " is still reachable after 10 s of collections: something pins it");
            }
            System.gc();
            Thread.onSpinWait();
        }
    }
}
