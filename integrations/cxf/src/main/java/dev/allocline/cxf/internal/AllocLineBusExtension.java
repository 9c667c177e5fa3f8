package dev.allocline.cxf.internal;

import org.apache.cxf.Bus;
import org.apache.cxf.endpoint.ServerLifeCycleManager;

/**
 * Puts {@link FaultAnswerInterceptor} into the out-fault chain of every bus, and {@link StopWithServer}
 * among its server life-cycle listeners, so having
 * {@code allocline-cxf} on the class path is enough: CXF instantiates each class listed in every
 * {@code META-INF/cxf/bus-extensions.txt} when a bus is created (this one is not deferred), passing the
 * bus. It only reacts to requests of the portable filter, so a bus without it pays one property lookup
 * per fault. Never fails the bus: a failure here is logged and the bus starts without it. Not API.
 */
public final class AllocLineBusExtension {

    public AllocLineBusExtension(Bus bus) {
        try {
            FaultAnswerInterceptor.addTo(bus.getOutFaultInterceptors());
        } catch (RuntimeException | LinkageError e) {
            FaultAnswerInterceptor.failed(e);
        }
        try {
            ServerLifeCycleManager servers = bus.getExtension(ServerLifeCycleManager.class);
            if (servers != null) {
                servers.registerListener(new StopWithServer());
            }
        } catch (RuntimeException | LinkageError e) {
            StopWithServer.notRegistered(e);
        }
    }
}
