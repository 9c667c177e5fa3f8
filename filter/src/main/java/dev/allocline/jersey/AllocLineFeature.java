package dev.allocline.jersey;

import dev.allocline.line.CanonicalLineSink;
import dev.allocline.line.Log4j2Sink;
import dev.allocline.meter.ThreadAllocationCounter;
import jakarta.ws.rs.core.Feature;
import jakarta.ws.rs.core.FeatureContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Registers allocline in a Jersey application: one canonical line per request with the bytes that
 * request allocated, on every thread it touched, including writing the response entity.
 *
 * <pre>{@code
 * ResourceConfig config = new ResourceConfig(MyResource.class)
 *         .register(AllocLineFeature.builder().build());
 * }</pre>
 *
 * The line is emitted after Jersey wrote the response ({@code RequestEvent.FINISHED}), because the
 * entity is serialised after every response filter: a filter-only design would miss exactly the
 * allocations of a large JSON body. Nothing the Feature does can change a response: every failure
 * inside it is contained and logged at most once a minute per cause.
 */
public final class AllocLineFeature implements Feature {

    private final Builder settings;

    private AllocLineFeature(Builder settings) {
        this.settings = settings;
    }

    /** A builder with the defaults: Log4j2 sink on, process-wide delta on (sampled every 1 ms or slower when reads are costly). */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public boolean configure(FeatureContext context) {
        // A fresh runtime per application: each has its own lifecycle (sampler start and stop).
        AllocLineRuntime runtime = new AllocLineRuntime(ThreadAllocationCounter.platform(), settings.allSinks(),
                settings.processDelta, settings.processSampleInterval, settings.failureLogPeriod);
        context.register(new AllocLineEventListener(runtime));
        return true;
    }

    /** Settings of an {@link AllocLineFeature}; {@link #build()} validates them and names any bad one. */
    public static final class Builder {
        private final List<CanonicalLineSink> sinks = new ArrayList<>();
        private boolean log4j = true;
        private boolean processDelta = true;
        private Duration processSampleInterval = Duration.ofMillis(1);
        private Duration failureLogPeriod = Duration.ofMinutes(1);
        private final List<String> errors = new ArrayList<>();

        private Builder() {
        }

        /** Adds a sink; may be called several times. Sinks run in the order added, after Log4j2's. */
        public Builder sink(CanonicalLineSink sink) {
            if (sink == null) {
                errors.add("sink must not be null");
            } else {
                sinks.add(sink);
            }
            return this;
        }

        /** Whether lines go to Log4j2 (logger {@value Log4j2Sink#DEFAULT_LOGGER}, INFO). Default on. */
        public Builder log4j(boolean enabled) {
            this.log4j = enabled;
            return this;
        }

        /** Whether lines carry the process-wide delta ({@code total_alloc_delta}). Default on. */
        public Builder processAllocationDelta(boolean enabled) {
            this.processDelta = enabled;
            return this;
        }

        /**
         * The shortest interval at which the process-wide figure is sampled in the background: the
         * resolution of {@code total_alloc_delta}. Default 1 ms. Each sample walks all live threads
         * (tens of µs at a hundred threads), so the sampler stretches the interval to keep its cost
         * under 0.5% of one core; requests never pay it. See {@code ProcessAllocationSampler}.
         */
        public Builder processAllocationSampleInterval(Duration interval) {
            this.processSampleInterval = interval;
            return this;
        }

        /** How often one kind of internal failure may be logged. Default one minute. */
        public Builder failureLogPeriod(Duration period) {
            this.failureLogPeriod = period;
            return this;
        }

        /**
         * Validates the settings.
         *
         * @throws IllegalArgumentException naming every bad setting
         */
        public AllocLineFeature build() {
            List<String> problems = new ArrayList<>(errors);
            if (processSampleInterval == null || processSampleInterval.isNegative() || processSampleInterval.isZero()) {
                problems.add("processAllocationSampleInterval must be positive, was " + processSampleInterval);
            }
            if (failureLogPeriod == null || failureLogPeriod.isNegative()) {
                problems.add("failureLogPeriod must be zero or positive, was " + failureLogPeriod);
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("invalid AllocLineFeature settings: " + String.join("; ", problems));
            }
            Builder copy = new Builder();
            copy.sinks.addAll(sinks);
            copy.log4j = log4j;
            copy.processDelta = processDelta;
            copy.processSampleInterval = processSampleInterval;
            copy.failureLogPeriod = failureLogPeriod;
            return new AllocLineFeature(copy);
        }

        private List<CanonicalLineSink> allSinks() {
            List<CanonicalLineSink> all = new ArrayList<>();
            if (log4j) {
                all.add(new Log4j2Sink());
            }
            all.addAll(sinks);
            return all;
        }
    }
}
