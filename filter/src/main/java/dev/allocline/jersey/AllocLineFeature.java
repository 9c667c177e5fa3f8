package dev.allocline.jersey;

import dev.allocline.internal.Settings;
import dev.allocline.internal.accounting.Runtime;
import dev.allocline.internal.log.LogBackend;
import dev.allocline.internal.log.Logging;
import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineSink;
import dev.allocline.line.Log4j2Sink;
import dev.allocline.line.Slf4jSink;
import dev.allocline.profile.ProfileKind;
import dev.allocline.profile.ProfileStore;
import jakarta.ws.rs.core.Feature;
import jakarta.ws.rs.core.FeatureContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

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
 * inside it is contained and logged at most once a minute per cause. Immutable once built; one
 * instance may be registered in several applications, each getting its own runtime.
 */
public final class AllocLineFeature implements Feature {

    private final Settings settings;

    private AllocLineFeature(Settings settings) {
        this.settings = settings;
    }

    /**
     * A builder with the defaults: lines to the logging API found on the class path (Log4j2, else SLF4J
     * 2), the request id in the logging context under {@code request_id}, the process-wide delta on.
     */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public boolean configure(FeatureContext context) {
        // A fresh runtime per application: each has its own lifecycle (sampler lease, recording).
        context.register(new AllocLineEventListener(new Runtime(settings)));
        return true;
    }

    /** Settings of an {@link AllocLineFeature}; {@link #build()} validates them and names any bad one. */
    public static final class Builder {
        private final List<CanonicalLineSink> sinks = new ArrayList<>();
        private boolean defaultSink = true;
        private String requestIdHeader;
        private String contextKey = "request_id";
        private Predicate<CanonicalLine> skip;
        private List<String> applicationPackages = List.of();
        private boolean processDelta = true;
        private Duration processSampleInterval = Duration.ofMillis(1);
        private Duration failureLogPeriod = Duration.ofMinutes(1);
        private long profileThreshold;
        private ProfileStore profileStore;
        private Duration profileCooldown = Duration.ofMinutes(5);
        private String environment = "default";
        private ProfileKind profileKind = ProfileKind.JFR;
        private Path profileTempDirectory = Path.of(System.getProperty("java.io.tmpdir"), "allocline-profiles");
        private long profileMaxDiskBytes = 2L << 30;
        private String jfrThrottle = "300/s";
        private Duration jfrMaxAge = Duration.ofMinutes(5);
        private long jfrMaxSizeBytes = 64L << 20;
        private boolean heapDumpLive = true;
        private Duration shutdownTimeout = Duration.ofSeconds(30);
        private final List<String> errors = new ArrayList<>();

        private Builder() {
        }

        /** Adds a sink; may be called several times. Sinks run in the order added, after the default one. */
        public Builder sink(CanonicalLineSink sink) {
            if (sink == null) {
                errors.add("sink must not be null");
            } else {
                sinks.add(sink);
            }
            return this;
        }

        /**
         * Whether lines go to the logging API found on the class path (logger
         * {@value Log4j2Sink#DEFAULT_LOGGER}, INFO): Log4j2 when it has a provider ({@link Log4j2Sink}),
         * else SLF4J 2 with its key-value API ({@link Slf4jSink}), which is also chosen when Log4j2 is only
         * a bridge to SLF4J ({@code log4j-to-slf4j}, as Spring Boot ships it). When neither reaches an
         * appender, {@link #build()} fails rather than drop every line. Default on.
         */
        public Builder defaultSink(boolean enabled) {
            this.defaultSink = enabled;
            return this;
        }

        /**
         * Trusts the request id sent in this header (e.g. {@code X-Request-Id} from the load balancer)
         * when it is 1–128 characters of {@code [A-Za-z0-9._:-]}; otherwise one is generated. Either way
         * the response carries the id in this header. Default: none (no inbound id is trusted, no header
         * is added).
         */
        public Builder requestIdHeader(String headerName) {
            this.requestIdHeader = headerName;
            return this;
        }

        /**
         * The key under which the request id is put in the logging context (Log4j2's
         * {@code ThreadContext}, SLF4J's {@code MDC}) on every thread while it works for the request, so
         * the request's other log lines carry it; the thread's previous value is restored afterwards.
         * Default {@code request_id}; null turns it off.
         */
        public Builder loggingContextKey(String key) {
            this.contextKey = key;
            return this;
        }

        /**
         * Lines for which {@code predicate} holds are not written (health checks are the usual case),
         * except that a request answered with 5xx or over the profile threshold is always written.
         * Evaluated once per request, after the response; a predicate that throws is logged and the
         * line written.
         */
        public Builder skip(Predicate<CanonicalLine> predicate) {
            if (predicate == null) {
                errors.add("skip predicate must not be null");
            } else {
                this.skip = this.skip == null ? predicate : this.skip.or(predicate);
            }
            return this;
        }

        /**
         * The application's package prefixes (e.g. {@code com.example.}): in a profile's analysis the first
         * frame in one of them is the request's {@code app_site}. Default: the first frame outside the
         * JDK, common frameworks and this library.
         */
        public Builder applicationPackages(String... prefixes) {
            if (prefixes == null) {
                errors.add("applicationPackages must not be null");
            } else {
                this.applicationPackages = List.of(prefixes);
            }
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
         * Captures a profile when one request's own {@code allocatedBytes} reaches this many bytes
         * (never the process-wide delta, which parallel requests inflate). 0, the default, disables
         * profiles; a {@link #profileStore(ProfileStore)} is then required.
         */
        public Builder profileThresholdBytes(long bytes) {
            this.profileThreshold = bytes;
            return this;
        }

        /** Where profiles go: {@code S3ProfileStore}, {@code LocalDirectoryProfileStore}, or your own. */
        public Builder profileStore(ProfileStore store) {
            this.profileStore = store;
            return this;
        }

        /** Least time between two profiles; overruns in between get none. Default 5 minutes. */
        public Builder profileCooldown(Duration cooldown) {
            this.profileCooldown = cooldown;
            return this;
        }

        /** Key prefix: profiles go to {@code {environment}/profiles/{requestId}.jfr}. Default {@code default}. */
        public Builder environment(String environment) {
            this.environment = environment;
            return this;
        }

        /** JFR allocation samples (default) or a heap dump (opt-in: it holds every secret in the heap). */
        public Builder profileKind(ProfileKind kind) {
            this.profileKind = kind;
            return this;
        }

        /** Where files are written before they are stored. Default {@code java.io.tmpdir/allocline-profiles}. */
        public Builder profileTempDirectory(Path directory) {
            this.profileTempDirectory = directory;
            return this;
        }

        /** A capture is skipped when its file could exceed this many bytes. Default 2 GiB. */
        public Builder profileMaxDiskBytes(long bytes) {
            this.profileMaxDiskBytes = bytes;
            return this;
        }

        /** {@code jdk.ObjectAllocationSample} throttle, e.g. {@code 300/s} (default) or {@code 150/s}. */
        public Builder jfrThrottle(String throttle) {
            this.jfrThrottle = throttle;
            return this;
        }

        /** How far back the continuous recording reaches (default 5 minutes) and how large it may grow (default 64 MiB). */
        public Builder jfrRetention(Duration maxAge, long maxSizeBytes) {
            this.jfrMaxAge = maxAge;
            this.jfrMaxSizeBytes = maxSizeBytes;
            return this;
        }

        /** Whether a heap dump holds only live objects (forces a full GC first). Default true. */
        public Builder heapDumpLive(boolean live) {
            this.heapDumpLive = live;
            return this;
        }

        /** How long application shutdown waits for a profile upload in flight. Default 30 s. */
        public Builder shutdownTimeout(Duration timeout) {
            this.shutdownTimeout = timeout;
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
            validateProfiles(problems);
            validateCorrelation(problems);
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("invalid AllocLineFeature settings: " + String.join("; ", problems));
            }
            return new AllocLineFeature(new Settings(allSinks(), processDelta, processSampleInterval, failureLogPeriod,
                    profileThreshold, profileStore, profileCooldown, environment, profileKind, profileTempDirectory,
                    profileMaxDiskBytes, jfrThrottle, jfrMaxAge, jfrMaxSizeBytes, heapDumpLive, shutdownTimeout,
                    applicationPackages, requestIdHeader, contextKey, skip));
        }

        private void validateCorrelation(List<String> problems) {
            if (requestIdHeader != null && !requestIdHeader.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")) {
                problems.add("requestIdHeader must be an HTTP header name (a token of 1-64 characters), was "
                        + requestIdHeader);
            }
            if (contextKey != null && !contextKey.matches("[A-Za-z_][A-Za-z0-9_.-]{0,63}")) {
                problems.add("loggingContextKey must be 1-64 letters, digits, '_', '.' or '-', or null (off), was "
                        + contextKey);
            }
            for (String p : applicationPackages) {
                if (p == null || p.isBlank()) {
                    problems.add("applicationPackages must not contain null or blank prefixes");
                    break;
                }
            }
            if (defaultSink && Logging.backend() == null) {
                problems.add("defaultSink: no logging API reaches an appender on this class path ("
                        + Logging.diagnosis() + "); add log4j-core or an SLF4J 2 provider such as logback-classic, "
                        + "or set defaultSink(false) and add a sink of your own");
            }
        }

        private void validateProfiles(List<String> problems) {
            if (profileThreshold < 0) {
                problems.add("profileThresholdBytes must be 0 (off) or positive, was " + profileThreshold);
            }
            if (profileThreshold > 0 && profileStore == null) {
                problems.add("profileStore must be set when profileThresholdBytes is set");
            }
            if (profileCooldown == null || profileCooldown.isNegative()) {
                problems.add("profileCooldown must be zero or positive, was " + profileCooldown);
            }
            if (environment == null || !environment.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
                problems.add("environment must be 1-63 letters, digits, '.', '_' or '-' (it is a key prefix), was "
                        + environment);
            }
            if (profileKind == null) {
                problems.add("profileKind must not be null");
            }
            if (profileTempDirectory == null) {
                problems.add("profileTempDirectory must not be null");
            }
            if (profileMaxDiskBytes <= 0) {
                problems.add("profileMaxDiskBytes must be positive, was " + profileMaxDiskBytes);
            }
            if (jfrThrottle == null || !jfrThrottle.matches("\\d+/(ns|us|ms|s|m|h|d)")) {
                problems.add("jfrThrottle must look like 300/s, was " + jfrThrottle);
            }
            if (jfrMaxAge == null || jfrMaxAge.isNegative() || jfrMaxAge.isZero()) {
                problems.add("jfrRetention maxAge must be positive, was " + jfrMaxAge);
            }
            if (jfrMaxSizeBytes <= 0) {
                problems.add("jfrRetention maxSizeBytes must be positive, was " + jfrMaxSizeBytes);
            }
            if (shutdownTimeout == null || shutdownTimeout.isNegative()) {
                problems.add("shutdownTimeout must be zero or positive, was " + shutdownTimeout);
            }
        }

        private List<CanonicalLineSink> allSinks() {
            List<CanonicalLineSink> all = new ArrayList<>();
            LogBackend backend = defaultSink ? Logging.backend() : null;
            if (backend != null) {
                all.add("slf4j".equals(backend.name()) ? new Slf4jSink() : new Log4j2Sink());
            }
            all.addAll(sinks);
            return all;
        }
    }
}
