package dev.allocline.jersey;

import dev.allocline.internal.RateLimitedLog;
import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineSink;
import dev.allocline.meter.ProcessAllocationSampler;
import dev.allocline.meter.ThreadAllocationCounter;
import java.time.Duration;
import java.util.List;

/** What every request of one application shares: the counters, the sinks, the failure log. */
final class AllocLineRuntime {

    final ThreadAllocationCounter counter;
    final RateLimitedLog failures;
    private final CanonicalLineSink[] sinks;
    private final boolean processDelta;
    private final Duration processSampleInterval;
    private volatile ProcessAllocationSampler sampler;

    AllocLineRuntime(ThreadAllocationCounter counter, List<CanonicalLineSink> sinks, boolean processDelta,
                     Duration processSampleInterval, Duration failureLogPeriod) {
        this.counter = counter;
        this.sinks = sinks.toArray(new CanonicalLineSink[0]);
        this.processDelta = processDelta;
        this.processSampleInterval = processSampleInterval;
        this.failures = new RateLimitedLog("dev.allocline", failureLogPeriod);
    }

    /** Starts the background parts; called when the application is initialised. */
    void start() {
        if (processDelta && sampler == null) {
            if (ProcessAllocationSampler.isAvailable()) {
                sampler = ProcessAllocationSampler.start(processSampleInterval);
            } else {
                failures.warn("no-total-alloc", "allocline: this JVM has no getTotalThreadAllocatedBytes "
                        + "(needs 17.0.11+ or 21+); total_alloc_delta will be -1", null);
            }
        }
    }

    /** Stops the background parts; called when the application is destroyed. */
    void stop() {
        ProcessAllocationSampler s = sampler;
        sampler = null;
        if (s != null) {
            s.close();
        }
    }

    long sampledProcessTotal() {
        ProcessAllocationSampler s = sampler;
        return s == null ? -1L : s.sampledTotalAllocatedBytes();
    }

    boolean profilingEnabled() {
        return false;
    }

    /** Hands the line to every sink; a sink that throws is contained and logged, rate-limited. */
    void emit(CanonicalLine line, RequestAccounting.RequestWindow window) {
        for (CanonicalLineSink sink : sinks) {
            try {
                sink.accept(line);
            } catch (RuntimeException | LinkageError | AssertionError e) {
                failures.warn("sink:" + sink.getClass().getName(), "allocline: sink " + sink.getClass().getName()
                        + " failed for request " + line.requestId() + "; the request is unaffected: " + e, e);
            }
        }
    }
}
