package dev.allocline.quarkus.runtime;

import io.quarkus.runtime.annotations.ConfigPhase;
import io.quarkus.runtime.annotations.ConfigRoot;
import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * allocline's settings in {@code application.properties}, under {@code quarkus.allocline.}; read at start,
 * validated there, and a bad one stops the start with a message naming the property.
 */
@ConfigMapping(prefix = "quarkus.allocline")
@ConfigRoot(phase = ConfigPhase.RUN_TIME)
public interface AllocLineConfig {

    /** Whether requests get a line; {@code false} leaves the application exactly as without the extension. */
    @WithDefault("true")
    boolean enabled();

    /**
     * A request header whose value, when well-formed ({@code [A-Za-z0-9._:-]}, 1-128 characters), is the
     * request's id instead of a random one; the response carries the id in the same header. Only set it when
     * a proxy you trust sets that header: a client can choose it otherwise.
     */
    Optional<String> requestIdHeader();

    /** The logging-context (MDC) key that carries the request id on every thread working for the request. */
    @WithDefault("request_id")
    String loggingContextKey();

    /** Whether the request id goes into the logging context at all. */
    @WithDefault("true")
    boolean loggingContext();

    /** Path prefixes whose lines are not written (a 5xx or a profiled request's line still is). */
    @WithDefault("/q/")
    List<String> skipPaths();

    /** Whether lines carry the process-wide allocation delta ({@code total_alloc_delta}). */
    @WithDefault("true")
    boolean processAllocationDelta();

    /** The name of the logger the lines go to. */
    @WithDefault("dev.allocline")
    String loggerName();

    /** Package prefixes of the application, for the sites a profile names. */
    Optional<List<String>> applicationPackages();

    /**
     * Whether the figure goes on the request's OpenTelemetry span ({@code allocline.alloc_bytes}); by default on
     * when the OpenTelemetry API is present.
     */
    Optional<Boolean> spanAttributes();

    /** Profiles of requests that allocate more than a threshold. */
    Profile profile();

    /** Profiles of requests over a threshold. */
    interface Profile {

        /** Bytes one request must allocate to be profiled, e.g. {@code 1G}; 0 is off. */
        @WithDefault("0")
        MemorySize threshold();

        /** What to capture: {@code jfr} (an allocation recording) or {@code heap-dump}. */
        @WithDefault("jfr")
        Kind kind();

        /** Shortest time between two profiles. */
        @WithDefault("5m")
        Duration cooldown();

        /** Profiles go to this directory (created owner-only). */
        Optional<Path> directory();

        /** Profiles go to this S3 bucket, through the application's {@code S3Client} bean. */
        Optional<String> s3Bucket();

        /** Where captures are written before they are stored. */
        Optional<Path> tempDirectory();

        /** The first segment of every profile key ({@code {environment}/profiles/...}). */
        @WithDefault("default")
        String environment();
    }

    /** Profile kinds. */
    enum Kind {
        /** A JFR allocation recording around the request. */
        JFR,
        /** A heap dump. */
        HEAP_DUMP
    }
}
