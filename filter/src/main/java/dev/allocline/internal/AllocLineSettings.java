package dev.allocline.internal;

import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineSink;
import dev.allocline.profile.ProfileKind;
import dev.allocline.profile.ProfileStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Every setting of allocline, as {@link dev.allocline.AllocLineBuilder#build()} validated it; immutable, any thread.
 * A record, so a setting the builder forgets to pass is a compile error, not a silently dropped option.
 * Made only by an entry point's builder ({@code AllocLineFeature.builder()},
 * {@code AllocLineFilter.builder()}), which validates every setting and hands it over wrapped in the
 * opaque {@code AllocLineBuilder.Validated}: internal, so no one outside the
 * library can build unvalidated settings and a new setting breaks no user. Not API.
 *
 * @param sinks                 where lines go, the default logging sink (if any) first
 * @param processDelta          whether lines carry {@code total_alloc_delta}
 * @param processSampleInterval the process-wide sampler's shortest step
 * @param failureLogPeriod      how often one kind of internal failure may be logged
 * @param profileThreshold      a request's own bytes at or above this trigger a profile; 0 disables
 * @param profileStore          where profiles go
 * @param profileCooldown       least time between two captures
 * @param environment           profile key prefix
 * @param profileKind           what is captured
 * @param profileTempDirectory  where files are written before they are stored
 * @param profileMaxDiskBytes   a capture is skipped when its file could exceed this
 * @param jfrThrottle           {@code jdk.ObjectAllocationSample} throttle
 * @param jfrMaxAge             how far back the continuous recording reaches
 * @param jfrMaxSizeBytes       how large it may grow
 * @param heapDumpLive          whether a heap dump holds only live objects
 * @param shutdownTimeout       how long shutdown waits for an upload in flight
 * @param applicationPackages   packages whose frames count as the application's in profile analysis
 *                              (empty: every frame outside the JDK and common frameworks)
 * @param requestIdHeader       the inbound header whose id is trusted, or null
 * @param contextKey            the logging-context (ThreadContext, MDC) key for the request id, or null
 * @param skip                  lines for which this holds are not written (5xx and overruns always are)
 * @param spanAttributes        whether the figure is put on the request's OpenTelemetry span
 *                              ({@code allocline.alloc_bytes}, ...) when the OpenTelemetry API is present
 */
public record AllocLineSettings(
        List<CanonicalLineSink> sinks,
        boolean processDelta,
        Duration processSampleInterval,
        Duration failureLogPeriod,
        long profileThreshold,
        ProfileStore profileStore,
        Duration profileCooldown,
        String environment,
        ProfileKind profileKind,
        Path profileTempDirectory,
        long profileMaxDiskBytes,
        String jfrThrottle,
        Duration jfrMaxAge,
        long jfrMaxSizeBytes,
        boolean heapDumpLive,
        Duration shutdownTimeout,
        List<String> applicationPackages,
        String requestIdHeader,
        String contextKey,
        Predicate<CanonicalLine> skip,
        boolean spanAttributes) {

    public AllocLineSettings {
        sinks = List.copyOf(sinks);
        applicationPackages = List.copyOf(applicationPackages);
    }

    private static volatile Function<Object, AllocLineSettings> opener;

    /**
     * The settings inside what a builder validated ({@code AllocLineBuilder.Validated}): how an entry
     * point in another package (Jersey's, Quarkus') reads them without the public builder naming this
     * internal type. Typed {@code Object} so this package does not depend on the API package above it.
     */
    public static AllocLineSettings of(Object validated) {
        Objects.requireNonNull(validated, "validated");
        return opener.apply(validated); // set: Validated's initializer ran before it could exist
    }

    /** Called once, by {@code AllocLineBuilder.Validated}'s initializer. */
    public static void openWith(Function<Object, AllocLineSettings> open) {
        synchronized (AllocLineSettings.class) {
            if (opener != null) {
                throw new IllegalStateException("the settings' opener is set once, by AllocLineBuilder.Validated");
            }
            opener = Objects.requireNonNull(open, "open");
        }
    }

    /** Whether profiles are on. */
    public boolean profiling() {
        return profileThreshold > 0;
    }
}
