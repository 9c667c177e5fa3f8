package dev.allocline.quarkus.test.reload;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import java.lang.ref.WeakReference;
import org.jboss.resteasy.reactive.server.core.CurrentRequestManager;

/**
 * The resource {@link DevModeReloadTest} edits in dev mode: each version leaves weak references to Quarkus REST's
 * resource that matched it and to the class loader that loaded it where the test (outside the application's class
 * loaders) can read them, in the JVM's system properties (a {@code Hashtable} of the boot loader, which survives
 * every reload).
 */
@Path("/reloaded")
public class Reloaded {

    /** The system property holding a {@code WeakReference} to the class loader of the version that answered. */
    public static final String LOADER = "allocline.test.reloaded.loader.";
    /** The one holding a {@code WeakReference} to the {@code RuntimeResource} Quarkus REST matched for it. */
    public static final String RESOURCE = "allocline.test.reloaded.resource.";

    @GET
    @Path("/before/{n}")
    public String get(@PathParam("n") int n) {
        System.getProperties().put(LOADER + "before", new WeakReference<>(Reloaded.class.getClassLoader()));
        System.getProperties().put(RESOURCE + "before", new WeakReference<>(CurrentRequestManager.get().getTarget()));
        return "version before, " + n;
    }
}
