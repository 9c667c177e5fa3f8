package dev.allocline.jersey;

import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;

/**
 * Carries the current request's allocation accounting onto the application's own threads.
 *
 * <p>Jersey's own thread hops ({@code @ManagedAsync}, {@code AsyncResponse.resume}, a returned
 * {@code CompletionStage}) are followed automatically. Work the application sends to its own executor
 * is not, because nothing tells the library that a task belongs to a request. Wrap the executor (or
 * the task) where the task is submitted, on the request's thread, and the bytes the task allocates
 * count for that request, the way OpenSearch's {@code TaskAwareRunnable} carries its task context:
 *
 * <pre>{@code
 * Executor exec = AllocLine.wrap(pool);
 * CompletableFuture.supplyAsync(() -> loadRows(), exec).thenAccept(asyncResponse::resume);
 * }</pre>
 *
 * Only work that finishes before the request's line is written is counted; a task that outlives its
 * request adds nothing (its bytes are not another request's either). Submitting from a thread that is
 * not working on a request runs the task unchanged.
 */
public final class AllocLine {

    /**
     * Name of the request property ({@code ContainerRequestContext#getProperty}) holding the request's
     * accounting (its baseline and running total). Its value is opaque: the property exists so that
     * the baseline lives in the request context, not in a static map.
     */
    public static final String REQUEST_PROPERTY = "dev.allocline.request";

    private AllocLine() {
    }

    /** An executor that runs each task accounted to the request that submitted it. */
    public static Executor wrap(Executor executor) {
        Objects.requireNonNull(executor, "executor");
        return command -> executor.execute(wrap(command));
    }

    /** {@code task}, accounted to the request the calling thread is working on (if any). */
    public static Runnable wrap(Runnable task) {
        Objects.requireNonNull(task, "task");
        RequestAccounting owner = RequestAccounting.current();
        if (owner == null) {
            return task;
        }
        return () -> {
            Segment s = owner.enterForeign();
            try {
                task.run();
            } finally {
                owner.pop(s);
            }
        };
    }

    /** {@code task}, accounted to the request the calling thread is working on (if any). */
    public static <T> Callable<T> wrap(Callable<T> task) {
        Objects.requireNonNull(task, "task");
        RequestAccounting owner = RequestAccounting.current();
        if (owner == null) {
            return task;
        }
        return () -> {
            Segment s = owner.enterForeign();
            try {
                return task.call();
            } finally {
                owner.pop(s);
            }
        };
    }
}
