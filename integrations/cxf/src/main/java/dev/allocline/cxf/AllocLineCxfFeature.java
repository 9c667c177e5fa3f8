package dev.allocline.cxf;

import dev.allocline.cxf.internal.FaultAnswerInterceptor;
import org.apache.cxf.Bus;
import org.apache.cxf.endpoint.Client;
import org.apache.cxf.feature.AbstractPortableFeature;
import org.apache.cxf.interceptor.InterceptorProvider;

/**
 * Gives the portable {@code AllocLineFilter} its line for the requests Apache CXF answers outside the
 * Jakarta REST filter chain (an exception no {@code ExceptionMapper} maps goes through CXF's out-fault
 * chain, where no response filter runs): with the status the client gets, without changing the answer.
 *
 * <p>Nothing to do when {@code allocline-cxf} is on the class path and CXF creates its bus the usual way:
 * the jar's bus extension installs the same interceptor on every bus. Use this feature where bus
 * extensions are not loaded (a bus built by hand), on the server factory or the bus:
 *
 * <pre>{@code
 * JAXRSServerFactoryBean factory = RuntimeDelegate.getInstance().createEndpoint(app, JAXRSServerFactoryBean.class);
 * factory.getFeatures().add(new AllocLineCxfFeature());
 * }</pre>
 *
 * Registering it more than once, or beside the bus extension, changes nothing. It does nothing for CXF
 * clients. Immutable; CXF may call it from any thread.
 */
public final class AllocLineCxfFeature implements AbstractPortableFeature {

    @Override
    public void doInitializeProvider(InterceptorProvider provider, Bus bus) {
        FaultAnswerInterceptor.addTo(provider.getOutFaultInterceptors());
    }

    /** A client's faults are not requests of the filter. */
    @Override
    public void initialize(Client client, Bus bus) {
        // nothing to follow
    }
}
