package dev.allocline.jersey;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;

/**
 * The same as {@link dev.allocline.AllocLine}, under the name Jersey users first learnt. Deprecated:
 * there is one {@code AllocLine} to import, {@link dev.allocline.AllocLine}, which works the same with
 * {@code AllocLineFeature} and with the portable {@code AllocLineFilter}; this class only delegates to it
 * and will be removed. Any thread; never throws.
 *
 * @deprecated use {@link dev.allocline.AllocLine}
 */
@Deprecated(since = "0.1.0", forRemoval = true)
public final class AllocLine {

    /** See {@link dev.allocline.AllocLine#REQUEST_PROPERTY}. */
    public static final String REQUEST_PROPERTY = dev.allocline.AllocLine.REQUEST_PROPERTY;
    /** See {@link dev.allocline.AllocLine#MAX_FIELDS}. */
    public static final int MAX_FIELDS = dev.allocline.AllocLine.MAX_FIELDS;
    /** See {@link dev.allocline.AllocLine#MAX_VALUE_CHARS}. */
    public static final int MAX_VALUE_CHARS = dev.allocline.AllocLine.MAX_VALUE_CHARS;

    private AllocLine() {
    }

    /** See {@link dev.allocline.AllocLine#put(String, Object)}. */
    public static boolean put(String key, Object value) {
        return dev.allocline.AllocLine.put(key, value);
    }

    /** See {@link dev.allocline.AllocLine#requestId()}. */
    public static Optional<String> requestId() {
        return dev.allocline.AllocLine.requestId();
    }

    /** See {@link dev.allocline.AllocLine#allocatedBytes()}. */
    public static OptionalLong allocatedBytes() {
        return dev.allocline.AllocLine.allocatedBytes();
    }

    /** See {@link dev.allocline.AllocLine#wrap(Executor)}. */
    public static Executor wrap(Executor executor) {
        return dev.allocline.AllocLine.wrap(executor);
    }

    /** See {@link dev.allocline.AllocLine#wrap(ExecutorService)}. */
    public static ExecutorService wrap(ExecutorService executor) {
        return dev.allocline.AllocLine.wrap(executor);
    }

    /** See {@link dev.allocline.AllocLine#wrap(Runnable)}. */
    public static Runnable wrap(Runnable task) {
        return dev.allocline.AllocLine.wrap(task);
    }

    /** See {@link dev.allocline.AllocLine#wrap(Callable)}. */
    public static <T> Callable<T> wrap(Callable<T> task) {
        return dev.allocline.AllocLine.wrap(task);
    }
}
