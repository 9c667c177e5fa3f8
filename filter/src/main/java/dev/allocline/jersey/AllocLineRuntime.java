package dev.allocline.jersey;

import dev.allocline.internal.RateLimitedLog;
import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineSink;
import dev.allocline.internal.meter.ProcessAllocationSampler;
import dev.allocline.internal.meter.ThreadAllocationCounter;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import dev.allocline.internal.profile.ProfileTrigger;
import dev.allocline.internal.profile.RequestWindow;

/** What every request of one application shares: the counters, the sinks, the failure log. */
final class AllocLineRuntime {

    final ThreadAllocationCounter counter;
    final RateLimitedLog failures;
    private final CanonicalLineSink[] sinks;
    private final boolean processDelta;
    private final Duration processSampleInterval;
    private final ProfileTrigger profiles;
    private final Duration shutdownTimeout;
    private volatile ProcessAllocationSampler sampler;

    AllocLineRuntime(ThreadAllocationCounter counter, List<CanonicalLineSink> sinks, boolean processDelta,
                     Duration processSampleInterval, RateLimitedLog failures, ProfileTrigger profiles,
                     Duration shutdownTimeout) {
        this.counter = counter;
        this.sinks = sinks.toArray(new CanonicalLineSink[0]);
        this.processDelta = processDelta;
        this.processSampleInterval = processSampleInterval;
        this.failures = failures;
        this.profiles = profiles;
        this.shutdownTimeout = shutdownTimeout;
    }

    /** Starts the background parts; called when the application is initialised. */
    void start() {
        if (profiles != null) {
            profiles.start();
        }
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
        if (profiles != null) {
            profiles.close(shutdownTimeout);
        }
    }

    long sampledProcessTotal() {
        ProcessAllocationSampler s = sampler;
        return s == null ? -1L : s.sampledTotalAllocatedBytes();
    }

    boolean profilingEnabled() {
        return profiles != null;
    }

    /** Hands the line to every sink; a sink that throws is contained and logged, rate-limited. */
    void emit(CanonicalLine line, RequestWindow window) {
        if (profiles != null && profiles.overThreshold(line.allocatedBytes())) {
            try {
                Optional<String> key = profiles.offer(line, window);
                if (key.isPresent()) {
                    line = line.withProfileKey(key.get());
                }
            } catch (RuntimeException | LinkageError e) {
                failures.warn("profile-offer", "allocline: profile trigger failed for request " + line.requestId()
                        + "; the request is unaffected: " + e, e);
            }
        }
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
