package dev.allocline.cxf.internal;

import dev.allocline.AllocLine;
import dev.allocline.internal.accounting.UnansweredRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.apache.cxf.common.logging.LogUtils;
import org.apache.cxf.interceptor.Interceptor;
import org.apache.cxf.jaxrs.impl.PropertyHolderFactory;
import org.apache.cxf.jaxrs.interceptor.JAXRSDefaultFaultOutInterceptor;
import org.apache.cxf.message.Exchange;
import org.apache.cxf.message.Message;
import org.apache.cxf.phase.AbstractPhaseInterceptor;
import org.apache.cxf.phase.Phase;
import org.apache.cxf.transport.http.AbstractHTTPDestination;

/**
 * Ends a request of the portable {@code AllocLineFilter} that CXF answers from its out-fault chain, where
 * no Jakarta REST response filter or writer interceptor runs: an exception no {@code ExceptionMapper}
 * maps. Without it such a request gets no line at all.
 *
 * <p>CXF answers such a fault one of two ways, and the line follows each:
 * <ul>
 * <li>by default ({@code org.apache.cxf.propagate.exception} unset or true) {@code JAXRSDefaultFaultOutInterceptor}
 * rethrows the exception out of the chain and out of CXF's servlet, and the servlet container answers
 * (500 on every container, the Servlet specification's answer to an exception that leaves a servlet).
 * Nothing of CXF runs after that throw (its own {@code handleFault} rethrows, which stops the unwind), so
 * this interceptor sits just before it and ends the request there, on the request thread, with the status
 * the container will send: 500 (the line then says {@code response_written=false answered_by=container}: it
 * is written before the container's answer goes out, so whether that reached the client is not known), or
 * the status already sent when the response was committed before the fault (then the container cannot
 * answer and the line says {@code response_written=false});</li>
 * <li>when CXF writes the fault itself (propagation turned off, or a mapper found in the fault chain) an
 * interceptor in the chain's last phase ends the request after the conduit was closed, i.e. after the
 * answer was sent, with the status sent. A request whose line the filters already wrote is not touched
 * ({@link UnansweredRequest#endOutsideFilters} does nothing then).</li>
 * </ul>
 *
 * <p>Cost: it is only in the fault chains, so a request answered normally never sees it. It never changes
 * the answer or the fault handling: it throws nothing (its own failures are logged once, where CXF logs,
 * then at FINE). Stateless; CXF calls one instance from many request threads. Not API.
 */
public final class FaultAnswerInterceptor extends AbstractPhaseInterceptor<Message> {

    /** The one instance, shared by the bus extension and every feature (CXF keeps one per id in a chain). */
    public static final FaultAnswerInterceptor INSTANCE = new FaultAnswerInterceptor();

    private static final Logger LOG = LogUtils.getLogger(FaultAnswerInterceptor.class);
    private static final AtomicBoolean FAILED_BEFORE = new AtomicBoolean();
    /** Where CXF keeps the servlet response of a request on its servlet transports. */
    private static final String HTTP_RESPONSE = AbstractHTTPDestination.HTTP_RESPONSE;

    private final Sent sent = new Sent();

    private FaultAnswerInterceptor() {
        super(Phase.MARSHAL);
        // before it writes or rethrows the fault: after a rethrow nothing of the chain runs again
        addBefore(JAXRSDefaultFaultOutInterceptor.class.getName());
    }

    /** Adds the interceptor to {@code outFaultInterceptors} unless it is there already. */
    public static void addTo(List<Interceptor<? extends Message>> outFaultInterceptors) {
        for (Interceptor<? extends Message> i : outFaultInterceptors) {
            if (i instanceof FaultAnswerInterceptor) {
                return;
            }
        }
        outFaultInterceptors.add(INSTANCE);
    }

    @Override
    public void handleMessage(Message fault) {
        try {
            UnansweredRequest r = unanswered(fault);
            if (r == null) {
                return;
            }
            if (Boolean.TRUE.equals(fault.getExchange().get(Message.PROPOGATE_EXCEPTION))) {
                ContainerAnswer answer = ContainerAnswer.of(fault.getExchange().getInMessage());
                r.endOutsideFilters(answer.status, answer.answer);
            } else {
                fault.getInterceptorChain().add(sent);
            }
        } catch (RuntimeException | LinkageError e) {
            failed(e);
        }
    }

    /** A later interceptor of the fault chain failed (e.g. the client went away while CXF wrote the fault). */
    @Override
    public void handleFault(Message fault) {
        try {
            UnansweredRequest r = unanswered(fault);
            if (r != null) {
                r.endOutsideFilters(sentStatus(fault), UnansweredRequest.Answer.NOT_SENT);
            }
        } catch (RuntimeException | LinkageError e) {
            failed(e);
        }
    }

    /** In the fault chain's last phase, after {@code MessageSenderEndingInterceptor} closed the conduit. */
    static final class Sent extends AbstractPhaseInterceptor<Message> {
        Sent() {
            super(Phase.SETUP_ENDING);
        }

        @Override
        public void handleMessage(Message fault) {
            try {
                UnansweredRequest r = unanswered(fault);
                if (r != null) {
                    r.endOutsideFilters(sentStatus(fault), UnansweredRequest.Answer.SENT);
                }
            } catch (RuntimeException | LinkageError e) {
                failed(e);
            }
        }
    }

    /** The portable filter's request of this exchange, or null (another entry point, a client, no filter). */
    static UnansweredRequest unanswered(Message fault) {
        Exchange exchange = fault.getExchange();
        Message in = exchange == null ? null : exchange.getInMessage();
        if (in == null) {
            return null;
        }
        // CXF's own lookup of ContainerRequestContext properties: the exchange's map, or the servlet request
        Object property = PropertyHolderFactory.getPropertyHolder(in).getProperty(AllocLine.REQUEST_PROPERTY);
        return property instanceof UnansweredRequest ? (UnansweredRequest) property : null;
    }

    /** The status CXF sent: the servlet response's where there is one, else the message's, else 0. */
    static int sentStatus(Message fault) {
        Message in = fault.getExchange().getInMessage();
        if (in.get(HTTP_RESPONSE) != null) {
            return ContainerAnswer.sentStatus(in);
        }
        Object code = fault.get(Message.RESPONSE_CODE);
        return code instanceof Integer ? (Integer) code : 0;
    }

    /**
     * What the servlet container answers to an exception that leaves CXF's servlet. Its own class so that
     * the servlet API is loaded only on a servlet transport.
     */
    static final class ContainerAnswer {
        final int status;
        final UnansweredRequest.Answer answer;

        private ContainerAnswer(int status, UnansweredRequest.Answer answer) {
            this.status = status;
            this.answer = answer;
        }

        static ContainerAnswer of(Message in) {
            Object response = in.get(HTTP_RESPONSE);
            if (!(response instanceof HttpServletResponse)) {
                // not a servlet transport: who answers is unknown
                return new ContainerAnswer(0, UnansweredRequest.Answer.NOT_SENT);
            }
            HttpServletResponse r = (HttpServletResponse) response;
            return r.isCommitted() ? new ContainerAnswer(r.getStatus(), UnansweredRequest.Answer.NOT_SENT)
                    : new ContainerAnswer(HttpServletResponse.SC_INTERNAL_SERVER_ERROR,
                            UnansweredRequest.Answer.CONTAINER_ANSWERS_AFTER);
        }

        static int sentStatus(Message in) {
            Object response = in.get(HTTP_RESPONSE);
            return response instanceof HttpServletResponse ? ((HttpServletResponse) response).getStatus() : 0;
        }
    }

    static void failed(Throwable e) {
        try {
            if (FAILED_BEFORE.compareAndSet(false, true)) {
                LOG.log(Level.WARNING, "allocline: could not write the line of a request CXF answered from its "
                        + "fault chain; this request and later ones failing the same way may get no line "
                        + "(further failures are logged at FINE): " + e, e);
            } else if (LOG.isLoggable(Level.FINE)) {
                LOG.log(Level.FINE, "allocline: could not write the line of a request CXF answered from its "
                        + "fault chain: " + e, e);
            }
        } catch (RuntimeException | LinkageError ignored) {
            // Logging the failure must not become a failure of CXF's fault handling.
        }
    }
}
