package dev.allocline.quarkus.runtime;

import dev.allocline.internal.accounting.Request;
import dev.allocline.internal.accounting.ThreadWork;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * Called around every dispatch on a Vert.x duplicated context that carries a request: the build gives Vert.x's
 * {@code DuplicatedContext} a field ({@link RequestCarrier}) and its own {@code beginDispatch()} and
 * {@code endDispatch(previous)}, which read the field and call {@link #begin} once the context is current and
 * {@link #end} before the previous one is restored; a context whose field is null (every context but a request's
 * duplicated one, or any while allocline is off) costs that one field read and nothing else.
 *
 * <p>Why a dispatch is the unit: Quarkus serves each request on a duplicated context of its own, and Vert.x runs
 * everything that belongs to the request on it: the route chain, the runs of the handler chain on the event loop,
 * timers set from it, {@code runOnContext}, the callbacks of its clients, Mutiny stages completed on it, blocking
 * code handed to Vert.x's {@code executeBlocking} from it (on a worker thread). Each such dispatch begins and ends
 * on one thread, strictly nested in any other that runs there, and the thread then goes back to other work: so a
 * thread works for the request exactly while one of its dispatches runs ({@link ThreadWork#enterStretch}: nested
 * ones, and the runs of the handler chain inside them, join the outermost's segment). A dispatch after the line
 * was written counts nothing. Not API; public only because Vert.x's class calls it.
 */
public final class DispatchHooks {

    private DispatchHooks() {
    }

    /**
     * Makes the current Vert.x context, when it is a duplicated one (Quarkus serves every request on its own),
     * carry {@code request} for its later dispatches; the dispatch running now is the caller's to follow. The context
     * keeps it after the line: a dispatch that began before the line (a timer running while a worker thread ends the
     * response) must find the request at its end to take its closed segment off its thread, and one that begins after
     * opens nothing ({@link ThreadWork#enterStretch}).
     */
    static void attach(Request request) {
        Context current = Vertx.currentContext();
        if (current instanceof RequestCarrier) { // only the duplicated context is made a carrier: never an event loop's own
            ((RequestCarrier) current).allocline$request(request);
        }
    }

    /** Whether the current Vert.x context is {@code request}'s duplicated context (where its MDC lives). */
    static boolean ownsCurrentContext(Request request) {
        Context current = Vertx.currentContext();
        return current instanceof RequestCarrier && ((RequestCarrier) current).allocline$request() == request;
    }

    /** A dispatch on a context carrying {@code request} begins on the calling thread. Never throws. */
    public static void begin(Object request) {
        try {
            ThreadWork.enterStretch((Request) request);
        } catch (RuntimeException | LinkageError e) {
            failed("entering", e);
        }
    }

    /** That dispatch ends. Never throws. */
    public static void end(Object request) {
        try {
            ThreadWork.leaveStretch((Request) request);
        } catch (RuntimeException | LinkageError e) {
            failed("leaving", e);
        }
    }

    private static void failed(String what, Throwable e) {
        var runtime = AllocLineRecorder.runtime();
        if (runtime != null) {
            runtime.failures().warn("accounting", "allocline: accounting failed " + what
                    + " a dispatch on a request's Vert.x context; its line may be partial: " + e, e);
        }
    }
}
