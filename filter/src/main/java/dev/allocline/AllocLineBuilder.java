package dev.allocline;

import dev.allocline.internal.AllocLineSettings;
import dev.allocline.internal.accounting.TraceContext;
import dev.allocline.internal.log.LogBackend;
import dev.allocline.internal.log.Logging;
import dev.allocline.internal.profile.PrivateDirectory;
import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineSink;
import dev.allocline.line.Log4j2Sink;
import dev.allocline.line.Slf4jSink;
import dev.allocline.profile.ProfileKind;
import dev.allocline.profile.ProfileStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The settings every allocline entry point takes ({@code AllocLineFeature} on Jersey,
 * {@code AllocLineFilter} on any Jakarta REST runtime); {@link #build()} validates them, names every
 * bad one, and hands them, immutable and {@linkplain Validated opaque}, to the entry point. Not
 * thread-safe: build on one thread, then share what it built.
 *
 * @param <B> the entry point's builder type, so chained calls keep it
 * @param <T> what {@link #build()} makes
 */
public abstract class AllocLineBuilder<B extends AllocLineBuilder<B, T>, T> {
    private final String what;
    private final Function<? super Validated, T> factory;

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
    private Path profileTempDirectory = defaultProfileTempDirectory();
    private long profileMaxDiskBytes = 2L << 30;
    private String jfrThrottle = "300/s";
    private Duration jfrMaxAge = Duration.ofMinutes(5);
    private long jfrMaxSizeBytes = 64L << 20;
    private boolean heapDumpLive = true;
    private Duration shutdownTimeout = Duration.ofSeconds(30);
    private Boolean spanAttributes;
    private final List<String> errors = new ArrayList<>();

    /**
     * For entry points: {@code what} names them in validation messages, {@code factory} makes them
     * from the validated settings.
     */
    protected AllocLineBuilder(String what, Function<? super Validated, T> factory) {
        this.what = Objects.requireNonNull(what, "what");
        this.factory = Objects.requireNonNull(factory, "factory");
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** Adds a sink; may be called several times. Sinks run in the order added, after the default one. */
    public final B sink(CanonicalLineSink sink) {
        if (sink == null) {
            errors.add("sink must not be null");
        } else {
            sinks.add(sink);
        }
        return self();
    }

    /**
     * Whether lines go to the logging API found on the class path (logger
     * {@value Log4j2Sink#DEFAULT_LOGGER}, INFO): Log4j2 when it has a provider ({@link Log4j2Sink}),
     * else SLF4J 2 with its key-value API ({@link Slf4jSink}), which is also chosen when Log4j2 is only
     * a bridge to SLF4J ({@code log4j-to-slf4j}, as Spring Boot ships it). When neither reaches an
     * appender, {@link #build()} fails rather than drop every line. Default on.
     */
    public final B defaultSink(boolean enabled) {
        this.defaultSink = enabled;
        return self();
    }

    /**
     * Trusts the request id sent in this header (e.g. {@code X-Request-Id} from the load balancer)
     * when it is 1–128 characters of {@code [A-Za-z0-9._:-]}; otherwise one is generated. Either way
     * the response carries the id in this header. Default: none (no inbound id is trusted, no header
     * is added).
     */
    public final B requestIdHeader(String headerName) {
        this.requestIdHeader = headerName;
        return self();
    }

    /**
     * The key under which the request id is put in the logging context (Log4j2's
     * {@code ThreadContext}, SLF4J's {@code MDC}) on every thread while it works for the request, so
     * the request's other log lines carry it; the thread's previous value is restored afterwards.
     * Default {@code request_id}; null turns it off.
     */
    public final B loggingContextKey(String key) {
        this.contextKey = key;
        return self();
    }

    /**
     * Lines for which {@code predicate} holds are not written (health checks are the usual case),
     * except that a request answered with 5xx or over the profile threshold is always written.
     * Evaluated once per request, after the response; a predicate that throws is logged and the
     * line written.
     */
    public final B skip(Predicate<CanonicalLine> predicate) {
        if (predicate == null) {
            errors.add("skip predicate must not be null");
        } else {
            this.skip = this.skip == null ? predicate : this.skip.or(predicate);
        }
        return self();
    }

    /**
     * The application's package prefixes (e.g. {@code com.example.}): in a profile's analysis the first
     * frame in one of them is the request's {@code app_site}. Default: the first frame outside the
     * JDK, common frameworks and this library.
     */
    public final B applicationPackages(String... prefixes) {
        if (prefixes == null) {
            errors.add("applicationPackages must not be null");
        } else {
            // Copied as given, nulls included: build() names a bad element instead of List.of throwing here.
            this.applicationPackages = Collections.unmodifiableList(new ArrayList<>(Arrays.asList(prefixes)));
        }
        return self();
    }

    /** Whether lines carry the process-wide delta ({@code total_alloc_delta}). Default on. */
    public final B processAllocationDelta(boolean enabled) {
        this.processDelta = enabled;
        return self();
    }

    /**
     * The shortest interval at which the process-wide figure is sampled in the background: the
     * resolution of {@code total_alloc_delta}. Default 1 ms. Each sample walks all live threads
     * (tens of µs at a hundred threads), so the sampler stretches the interval to keep its cost
     * under 0.5% of one core; requests never pay it. See {@code ProcessAllocationSampler}.
     */
    public final B processAllocationSampleInterval(Duration interval) {
        this.processSampleInterval = interval;
        return self();
    }

    /** How often one kind of internal failure may be logged. Default one minute. */
    public final B failureLogPeriod(Duration period) {
        this.failureLogPeriod = period;
        return self();
    }

    /**
     * Captures a profile when one request's own {@code allocatedBytes} reaches this many bytes
     * (never the process-wide delta, which parallel requests inflate). 0, the default, disables
     * profiles; a {@link #profileStore(ProfileStore)} is then required.
     */
    public final B profileThresholdBytes(long bytes) {
        this.profileThreshold = bytes;
        return self();
    }

    /** Where profiles go: {@code S3ProfileStore}, {@code LocalDirectoryProfileStore}, or your own. */
    public final B profileStore(ProfileStore store) {
        this.profileStore = store;
        return self();
    }

    /** Least time between two profiles; overruns in between get none. Default 5 minutes. */
    public final B profileCooldown(Duration cooldown) {
        this.profileCooldown = cooldown;
        return self();
    }

    /**
     * Key prefix: profiles go to {@code {environment}/profiles/{requestId}-{16 hex digits}.jfr}, the suffix
     * generated for each profile. Default {@code default}.
     */
    public final B environment(String environment) {
        this.environment = environment;
        return self();
    }

    /** JFR allocation samples (default) or a heap dump (opt-in: it holds every secret in the heap). */
    public final B profileKind(ProfileKind kind) {
        this.profileKind = kind;
        return self();
    }

    /**
     * Where files are written before they are stored. Default {@code java.io.tmpdir/allocline-profiles-{user}}
     * ({@code user.name}). It must be this user's: it is created {@code rwx------} when missing, an own one
     * with looser permissions is made owner-only, and a symbolic link or another user's directory is refused
     * (by {@link #build()} and before every capture); files in it are created {@code rw-------}.
     */
    public final B profileTempDirectory(Path directory) {
        this.profileTempDirectory = directory;
        return self();
    }

    /** A capture is skipped when its file could exceed this many bytes. Default 2 GiB. */
    public final B profileMaxDiskBytes(long bytes) {
        this.profileMaxDiskBytes = bytes;
        return self();
    }

    /** {@code jdk.ObjectAllocationSample} throttle, e.g. {@code 300/s} (default) or {@code 150/s}. */
    public final B jfrThrottle(String throttle) {
        this.jfrThrottle = throttle;
        return self();
    }

    /** How far back the continuous recording reaches (default 5 minutes) and how large it may grow (default 64 MiB). */
    public final B jfrRetention(Duration maxAge, long maxSizeBytes) {
        this.jfrMaxAge = maxAge;
        this.jfrMaxSizeBytes = maxSizeBytes;
        return self();
    }

    /** Whether a heap dump holds only live objects (forces a full GC first). Default true. */
    public final B heapDumpLive(boolean live) {
        this.heapDumpLive = live;
        return self();
    }

    /** How long application shutdown waits for a profile upload in flight. Default 30 s. */
    public final B shutdownTimeout(Duration timeout) {
        this.shutdownTimeout = timeout;
        return self();
    }

    /**
     * Whether the request's figure is put on the OpenTelemetry span current when its resource method
     * starts, as attributes {@code allocline.alloc_bytes} (the line's {@code alloc_bytes}, -1 when
     * unavailable), {@code allocline.alloc_unavailable} (why, only then) and {@code allocline.profile_key}
     * (only when a profile was taken). OpenTelemetry has no semantic convention for allocated bytes, so the
     * names are in the library's namespace. They are set when the line is made, after the response was
     * written: a span ended before that (e.g. in a response filter, which runs before the entity is
     * written) does not get them. Default on when {@code opentelemetry-api} is on the class path;
     * requests without a valid span pay nothing for it. Setting it on without the API is an error.
     */
    public final B spanAttributes(boolean enabled) {
        this.spanAttributes = enabled;
        return self();
    }

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException naming every bad setting
     */
    public final T build() {
        List<String> problems = new ArrayList<>(errors);
        if (processSampleInterval == null || processSampleInterval.isNegative() || processSampleInterval.isZero()) {
            problems.add("processAllocationSampleInterval must be positive, was " + processSampleInterval);
        }
        if (failureLogPeriod == null || failureLogPeriod.isNegative()) {
            problems.add("failureLogPeriod must be zero or positive, was " + failureLogPeriod);
        }
        validateProfiles(problems);
        validateCorrelation(problems);
        if (Boolean.TRUE.equals(spanAttributes) && !TraceContext.available()) {
            problems.add("spanAttributes: the OpenTelemetry API (io.opentelemetry:opentelemetry-api) is not on the "
                    + "class path; add it or leave spanAttributes unset");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid " + what + " settings: " + String.join("; ", problems));
        }
        return factory.apply(new Validated(new AllocLineSettings(allSinks(), processDelta, processSampleInterval, failureLogPeriod,
                profileThreshold, profileStore, profileCooldown, environment, profileKind, profileTempDirectory,
                profileMaxDiskBytes, jfrThrottle, jfrMaxAge, jfrMaxSizeBytes, heapDumpLive, shutdownTimeout,
                applicationPackages, requestIdHeader, contextKey, skip,
                spanAttributes == null ? TraceContext.available() : spanAttributes)));
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
        for (int i = 0; i < applicationPackages.size(); i++) {
            String p = applicationPackages.get(i);
            if (p == null || p.isBlank()) {
                problems.add("applicationPackages must not contain null or blank prefixes, element " + i + " was "
                        + (p == null ? "null" : "\"" + p + "\""));
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
        } else if (profileThreshold > 0) {
            // Checked again before every capture (the name may change in between); here for a clear early error.
            String problem = PrivateDirectory.problem(profileTempDirectory);
            if (problem != null) {
                problems.add(problem);
            }
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

    /**
     * One per user: the directory must be the JVM user's own, so services of two users on one host must not
     * share a name (the second would be refused the first one's directory).
     */
    private static Path defaultProfileTempDirectory() {
        String user = String.valueOf(System.getProperty("user.name")).replaceAll("[^A-Za-z0-9._-]", "_");
        return Path.of(System.getProperty("java.io.tmpdir"), "allocline-profiles-" + user);
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
    
    /**
     * The settings {@link #build()} validated, as an entry point's factory receives them. Opaque: only
     * allocline's own entry points read them, so no internal type appears in the public API and a new
     * setting breaks no subclass. Immutable; any thread.
     */
    public static final class Validated {
        static {
            AllocLineSettings.openWith(v -> ((Validated) v).settings);
        }

        private final AllocLineSettings settings;

        private Validated(AllocLineSettings settings) {
            this.settings = settings;
        }

        @Override
        public String toString() {
            return "AllocLineBuilder.Validated";
        }
    }
}
