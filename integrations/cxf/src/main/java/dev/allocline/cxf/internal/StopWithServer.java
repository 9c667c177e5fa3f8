package dev.allocline.cxf.internal;

import dev.allocline.internal.accounting.HoldsRuntime;
import jakarta.ws.rs.container.ContainerRequestFilter;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.cxf.common.logging.LogUtils;
import org.apache.cxf.endpoint.Server;
import org.apache.cxf.endpoint.ServerLifeCycleListener;
import org.apache.cxf.jaxrs.model.ProviderInfo;
import org.apache.cxf.jaxrs.provider.ServerProviderFactory;

/**
 * Stops the background parts of every {@code AllocLineFilter} registered in a JAX-RS server when CXF stops
 * that server ({@code Server.stop()}/{@code destroy()}: {@code SeBootstrap.Instance.stop()}, a servlet's
 * destroy, a Spring context closing), so the application needs no shutdown code of its own. CXF calls
 * neither {@code @PreDestroy} nor {@code close()} on a registered provider instance. Called by CXF on the
 * thread that stops the server; never throws into it. Not API.
 */
final class StopWithServer implements ServerLifeCycleListener {

    private static final Logger LOG = LogUtils.getLogger(StopWithServer.class);

    /** The bus could not take the listener: say what the application must do instead. */
    static void notRegistered(Throwable e) {
        try {
            LOG.log(Level.WARNING, "allocline: AllocLineFilter will not be stopped with the CXF server; call its "
                    + "close() when the application stops: " + e, e);
        } catch (RuntimeException | LinkageError ignored) {
            // logging must not fail the bus
        }
    }

    @Override
    public void startServer(Server server) {
        // the filter starts its background parts with the first request
    }

    @Override
    public void stopServer(Server server) {
        try {
            Object factory = server.getEndpoint().get(ServerProviderFactory.class.getName());
            if (!(factory instanceof ServerProviderFactory)) {
                return; // not a JAX-RS server
            }
            for (ProviderInfo<ContainerRequestFilter> filter
                    : ((ServerProviderFactory) factory).getPreMatchContainerRequestFilters()) {
                Object provider = filter.getProvider();
                if (provider instanceof HoldsRuntime) {
                    ((HoldsRuntime) provider).allocLineRuntime().stop();
                }
            }
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.WARNING, "allocline: could not stop AllocLineFilter with the CXF server; call its "
                    + "close(): " + e, e);
        }
    }
}
