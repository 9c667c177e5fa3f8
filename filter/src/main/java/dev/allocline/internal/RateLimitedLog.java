package dev.allocline.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import dev.allocline.internal.log.LogBackend;
import dev.allocline.internal.log.Logging;

/**
 * Logs a failure inside the library at most once per period per cause, counting what it suppressed.
 * A failing sink or store would otherwise log once per request and become the incident itself.
 * Goes to whichever logging API reaches an appender ({@link Logging}). Any thread; never blocks.
 * Not API: may change without notice.
 */
public final class RateLimitedLog {

    private static final int MAX_CAUSES = 256;

    private final String logger;
    private final LogBackend backend;
    private final long periodNanos;
    private final ConcurrentMap<String, Slot> slots = new ConcurrentHashMap<>();

    private static final class Slot {
        final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
        final AtomicLong suppressed = new AtomicLong();
    }

    public RateLimitedLog(String loggerName, java.time.Duration period) {
        this.logger = loggerName;
        this.backend = Logging.failures();
        this.periodNanos = period.toNanos();
    }

    /** Logs {@code message} as a warning unless {@code cause} was logged within the period. */
    public void warn(String cause, String message, Throwable error) {
        try {
            Slot slot = slots.get(cause);
            if (slot == null) {
                if (slots.size() >= MAX_CAUSES) {
                    cause = "(other)";
                }
                slot = slots.computeIfAbsent(cause, k -> new Slot());
            }
            long now = System.nanoTime();
            long next = slot.nextAllowed.get();
            if ((next != Long.MIN_VALUE && now - next < 0) || !slot.nextAllowed.compareAndSet(next, now + periodNanos)) {
                slot.suppressed.incrementAndGet();
                return;
            }
            long skipped = slot.suppressed.getAndSet(0);
            String text = skipped == 0 ? message : message + " (" + skipped + " similar failures suppressed)";
            backend.warn(logger, text, error);
        } catch (RuntimeException | LinkageError ignored) {
            // Logging the failure must not become a failure of its own.
        }
    }
}
