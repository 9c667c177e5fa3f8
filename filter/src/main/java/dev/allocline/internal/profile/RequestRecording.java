package dev.allocline.internal.profile;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import java.util.function.Predicate;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Cuts one request's own recording out of the full dump: its {@code jdk.ObjectAllocationSample} events
 * (its threads, only while they worked for it: {@link RequestWindow#covers}) and the GC and heap events
 * that overlap its window, so {@code jfr print} or JMC show that request alone. Writing a filtered file
 * needs {@code RecordingFile.write(Path, Predicate)}, added in JDK 19; it is looked up once, and on an
 * older JDK {@link #UNAVAILABLE} names the version rather than writing something else under the name.
 * Runs on the profile thread (and tests). Not API.
 */
public final class RequestRecording {

    /** The events of the window that are kept whatever thread they are on: what the GC did meanwhile. */
    private static final Set<String> GC_EVENTS = Set.of("jdk.GarbageCollection", "jdk.GCHeapSummary");

    private static final Method WRITE = lookUp();

    /** Why no request recording can be written on this JVM (e.g. {@code jdk17}), or null when it can. */
    public static final String UNAVAILABLE = WRITE == null ? "jdk" + Runtime.version().feature() : null;

    private RequestRecording() {
    }

    private static Method lookUp() {
        try {
            return RecordingFile.class.getMethod("write", Path.class, Predicate.class);
        } catch (NoSuchMethodException e) {
            return null; // JDK 17 and 18
        }
    }

    /** The events that belong in the request's recording. */
    public static Predicate<RecordedEvent> of(RequestWindow window) {
        Instant from = Instant.ofEpochMilli(window.startEpochMillis() - 1);
        Instant to = Instant.ofEpochMilli(window.endEpochMillis() + 1);
        return e -> {
            String type = e.getEventType().getName();
            if ("jdk.ObjectAllocationSample".equals(type)) {
                RecordedThread t = e.getThread("eventThread");
                return t != null && window.covers(t.getJavaThreadId(), e.getStartTime());
            }
            return GC_EVENTS.contains(type) && !e.getEndTime().isBefore(from) && !e.getStartTime().isAfter(to);
        };
    }

    /** Writes the request's events from {@code full} to {@code out}; only when {@link #UNAVAILABLE} is null. */
    public static void write(Path full, Path out, RequestWindow window) throws IOException {
        if (WRITE == null) {
            throw new IllegalStateException("RecordingFile.write needs JDK 19+, this is " + UNAVAILABLE);
        }
        try (RecordingFile file = new RecordingFile(full)) {
            WRITE.invoke(file, out, of(window));
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException(c);
        }
    }
}
