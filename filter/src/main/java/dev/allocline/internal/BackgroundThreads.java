package dev.allocline.internal;

/**
 * Creates the library's background threads (the JVM's sampler, each application's profile thread) so that
 * they hold nothing of the thread that happened to create them. They are created lazily, on whatever thread
 * first needs them: a container's init thread, a request thread. A new {@code Thread} would copy that
 * thread's context class loader (on a servlet container, a web application's) and its inheritable
 * thread-locals, and keep both for its whole life: the JVM-wide sampler, shared through a server-wide
 * library, would pin the first application's loader after it was undeployed. Any thread; not API.
 */
public final class BackgroundThreads {

    private BackgroundThreads() {
    }

    /** A daemon thread running {@code task}, with no context class loader and no inherited thread-locals. */
    public static Thread newDaemon(Runnable task, String name) {
        // The 5-argument constructor (JDK 9+) is the only way to skip copying inheritable thread-locals.
        Thread t = new Thread(null, task, name, 0, false);
        // Library code loads nothing through the context loader; a task that needs one sets its own.
        t.setContextClassLoader(null);
        t.setDaemon(true);
        return t;
    }
}
