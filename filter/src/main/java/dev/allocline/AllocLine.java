package dev.allocline;

import dev.allocline.internal.accounting.Request;
import dev.allocline.internal.accounting.ThreadWork;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The application's side of allocline, under either entry point (Jersey's {@code AllocLineFeature} or
 * the portable {@code AllocLineFilter}): add fields to the current request's line, read its id and its
 * bytes so far, and carry its accounting onto the application's own threads. Every method may be
 * called from any thread; outside a request they do nothing (and say so) and never throw.
 *
 * <p>"The current request" is the one the calling thread is working on: the request thread, Jersey's
 * {@code @ManagedAsync} executor, a thread resuming an {@code AsyncResponse}, a thread completing a
 * returned {@code CompletionStage}, or a task wrapped with {@link #wrap}.
 *
 * <pre>{@code
 * AllocLine.put("rows", rows.size());          // appears as rows=12000 on the line
 * AllocLine.put("team", team.slug());
 * }</pre>
 *
 * Work the application sends to its own executor is followed only when the executor (or the task) is
 * wrapped where the task is submitted, on the request's thread, the way OpenSearch's
 * {@code TaskAwareRunnable} carries its task context:
 *
 * <pre>{@code
 * Executor exec = AllocLine.wrap(pool);
 * CompletableFuture.supplyAsync(() -> loadRows(), exec).thenAccept(asyncResponse::resume);
 * }</pre>
 *
 * Only work that finishes before the request's line is written is counted; a task that outlives its
 * request adds nothing (its bytes are not another request's either).
 */
public final class AllocLine {

    /**
     * Name of the request property ({@code ContainerRequestContext#getProperty}) holding the request's
     * accounting (its baseline and running total). Its value is opaque: the property exists so that
     * the baseline lives in the request context, not in a static map.
     */
    public static final String REQUEST_PROPERTY = "dev.allocline.request";

    /** Most fields an application can add to one line; puts past it return false and are counted in {@code fields_dropped}. */
    public static final int MAX_FIELDS = Request.MAX_FIELDS;

    /** Longest value kept, in characters; a longer one is cut and ends with {@code ...[truncated]}. */
    public static final int MAX_VALUE_CHARS = Request.MAX_VALUE_CHARS;

    private AllocLine() {
    }

    /**
     * Adds {@code key=value} to the line of the request the calling thread is working on; a later put
     * of the same key replaces the value. Keys are snake_case, {@code [a-z][a-z0-9_]{0,63}}; the
     * library's own keys ({@code request_id}, {@code status}, {@code alloc_bytes}, ...) are refused.
     * {@code String}, {@code Number} and {@code Boolean} values keep their type in structured layouts;
     * anything else is written as its {@code toString()}. A value is read when it is put: a mutable number
     * ({@code AtomicLong}, {@code LongAdder}, ...) is written with the value it had then, as the matching
     * immutable type; a {@code Number} of the application's own as the decimal its {@code toString()}
     * prints, or its {@code doubleValue()} when that is not a number. Every value is escaped like the rest
     * of the line.
     *
     * @return true when the field will be on the line; false outside a request, after its line was
     *         written, for a bad or reserved key, or past {@link #MAX_FIELDS}
     */
    public static boolean put(String key, Object value) {
        try {
            Request r = ThreadWork.current();
            return r != null && r.put(key, value);
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** The current request's id (the one on its line and in the logging context), empty outside a request. */
    public static Optional<String> requestId() {
        Request r = ThreadWork.current();
        return r == null ? Optional.empty() : Optional.of(r.requestId());
    }

    /**
     * Bytes the current request has allocated so far, as its line would say now (work still running on
     * other threads is added when it ends); empty outside a request or where the JVM cannot count.
     */
    public static OptionalLong allocatedBytes() {
        try {
            Request r = ThreadWork.current();
            long b = r == null ? -1L : ThreadWork.allocatedSoFar(r);
            return b < 0 ? OptionalLong.empty() : OptionalLong.of(b);
        } catch (RuntimeException | LinkageError e) {
            return OptionalLong.empty();
        }
    }

    /**
     * Bytes the whole process has allocated so far, dead threads included (Go's {@code TotalAlloc}), read
     * directly: it walks every live thread (O(threads), tens of µs with hundreds of threads), so call it
     * from a metrics scrape, never per request. Empty where the JVM lacks it (before 17.0.11) or counting
     * is disabled.
     */
    public static OptionalLong processAllocatedBytes() {
        return dev.allocline.internal.meter.ProcessAllocationSampler.readTotalAllocatedBytes();
    }

    /** An executor that runs each task accounted to the request that submitted it. */
    public static Executor wrap(Executor executor) {
        Objects.requireNonNull(executor, "executor");
        return command -> executor.execute(wrap(command));
    }

    /**
     * An executor service that runs each task accounted to the request that submitted it, keeping the
     * wrapped service's {@code submit}, {@code invokeAll}, {@code invokeAny} and shutdown semantics
     * (shutting the wrapper down shuts the wrapped service down).
     */
    public static ExecutorService wrap(ExecutorService executor) {
        Objects.requireNonNull(executor, "executor");
        return new AccountedExecutorService(executor);
    }

    /** {@code task}, accounted to the request the calling thread is working on (if any). */
    public static Runnable wrap(Runnable task) {
        Objects.requireNonNull(task, "task");
        Request owner = ThreadWork.current();
        if (owner == null) {
            return task;
        }
        return () -> {
            Object s = ThreadWork.enterTask(owner);
            try {
                task.run();
            } finally {
                ThreadWork.leave(s);
            }
        };
    }

    /** {@code task}, accounted to the request the calling thread is working on (if any). */
    public static <T> Callable<T> wrap(Callable<T> task) {
        Objects.requireNonNull(task, "task");
        Request owner = ThreadWork.current();
        if (owner == null) {
            return task;
        }
        return () -> {
            Object s = ThreadWork.enterTask(owner);
            try {
                return task.call();
            } finally {
                ThreadWork.leave(s);
            }
        };
    }

    /** Wraps every task at submission and delegates everything else. */
    private static final class AccountedExecutorService extends AbstractExecutorService {
        private final ExecutorService delegate;

        AccountedExecutorService(ExecutorService delegate) {
            this.delegate = delegate;
        }

        @Override
        public void execute(Runnable command) {
            delegate.execute(wrap(command));
        }

        @Override
        public <T> java.util.concurrent.Future<T> submit(Callable<T> task) {
            return delegate.submit(wrap(task));
        }

        @Override
        public java.util.concurrent.Future<?> submit(Runnable task) {
            return delegate.submit(wrap(task));
        }

        @Override
        public <T> java.util.concurrent.Future<T> submit(Runnable task, T result) {
            return delegate.submit(wrap(task), result);
        }

        @Override
        public <T> List<java.util.concurrent.Future<T>> invokeAll(Collection<? extends Callable<T>> tasks)
                throws InterruptedException {
            return delegate.invokeAll(wrapAll(tasks));
        }

        @Override
        public <T> List<java.util.concurrent.Future<T>> invokeAll(Collection<? extends Callable<T>> tasks, long timeout,
                                                                  TimeUnit unit) throws InterruptedException {
            return delegate.invokeAll(wrapAll(tasks), timeout, unit);
        }

        @Override
        public <T> T invokeAny(Collection<? extends Callable<T>> tasks)
                throws InterruptedException, java.util.concurrent.ExecutionException {
            return delegate.invokeAny(wrapAll(tasks));
        }

        @Override
        public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
                throws InterruptedException, java.util.concurrent.ExecutionException,
                java.util.concurrent.TimeoutException {
            return delegate.invokeAny(wrapAll(tasks), timeout, unit);
        }

        private static <T> List<Callable<T>> wrapAll(Collection<? extends Callable<T>> tasks) {
            List<Callable<T>> out = new ArrayList<>(tasks.size());
            for (Callable<T> t : tasks) {
                out.add(wrap(t));
            }
            return out;
        }

        @Override
        public void shutdown() {
            delegate.shutdown();
        }

        @Override
        public List<Runnable> shutdownNow() {
            return delegate.shutdownNow();
        }

        @Override
        public boolean isShutdown() {
            return delegate.isShutdown();
        }

        @Override
        public boolean isTerminated() {
            return delegate.isTerminated();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            return delegate.awaitTermination(timeout, unit);
        }

        @Override
        public String toString() {
            return "AllocLine.wrap(" + delegate + ")";
        }
    }
}
