package dev.allocline.spring.boot;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The {@code allocline.*} properties. A property left unset keeps the library's default (named in each
 * description); every value is validated by the Feature's builder when the application starts, and a bad
 * one stops it with a message naming the setting. Read once, on the thread that creates the context.
 */
@ConfigurationProperties(prefix = "allocline")
public class AllocLineProperties {

    /** Whether allocline is registered on Boot's Jersey application at all. */
    private boolean enabled = true;

    /**
     * Whether lines go to the logging API on the class path (on Boot: SLF4J and Logback, or Log4j2 with the
     * Log4j2 starter), logger dev.allocline.canonical at INFO. Default true.
     */
    private Boolean defaultSink;

    /**
     * The inbound header whose request id is trusted (e.g. X-Request-Id) when well-formed; the response carries
     * the id in it. Default: none.
     */
    private String requestIdHeader;

    /** The logging-context (MDC) key for the request id while a thread works for the request. Default request_id. */
    private String loggingContextKey;

    /** Whether lines carry the process-wide delta, total_alloc_delta. Default true. */
    private Boolean processAllocationDelta;

    /** Shortest interval at which the process-wide figure is sampled. Default 1ms. */
    private Duration processAllocationSampleInterval;

    /** How often one kind of internal failure may be logged. Default 1m. */
    private Duration failureLogPeriod;

    /** Package prefixes of the application, naming the app_site in profile analysis. Default: none. */
    private List<String> applicationPackages = new ArrayList<>();

    /**
     * Matched route templates (e.g. /actuator/health, /api/ping) whose lines are not written; a 5xx or an
     * overrun is written anyway. Default: none.
     */
    private List<String> skipRoutes = new ArrayList<>();

    /**
     * Whether the figure goes on the OpenTelemetry span current at the resource method's start (attributes
     * allocline.alloc_bytes, allocline.profile_key). Default true when opentelemetry-api is on the class path.
     */
    private Boolean spanAttributes;

    private final Metrics metrics = new Metrics();

    private final Profile profile = new Profile();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Boolean getDefaultSink() {
        return defaultSink;
    }

    public void setDefaultSink(Boolean defaultSink) {
        this.defaultSink = defaultSink;
    }

    public String getRequestIdHeader() {
        return requestIdHeader;
    }

    public void setRequestIdHeader(String requestIdHeader) {
        this.requestIdHeader = requestIdHeader;
    }

    public String getLoggingContextKey() {
        return loggingContextKey;
    }

    public void setLoggingContextKey(String loggingContextKey) {
        this.loggingContextKey = loggingContextKey;
    }

    public Boolean getProcessAllocationDelta() {
        return processAllocationDelta;
    }

    public void setProcessAllocationDelta(Boolean processAllocationDelta) {
        this.processAllocationDelta = processAllocationDelta;
    }

    public Duration getProcessAllocationSampleInterval() {
        return processAllocationSampleInterval;
    }

    public void setProcessAllocationSampleInterval(Duration processAllocationSampleInterval) {
        this.processAllocationSampleInterval = processAllocationSampleInterval;
    }

    public Duration getFailureLogPeriod() {
        return failureLogPeriod;
    }

    public void setFailureLogPeriod(Duration failureLogPeriod) {
        this.failureLogPeriod = failureLogPeriod;
    }

    public List<String> getApplicationPackages() {
        return applicationPackages;
    }

    public void setApplicationPackages(List<String> applicationPackages) {
        this.applicationPackages = applicationPackages;
    }

    public List<String> getSkipRoutes() {
        return skipRoutes;
    }

    public void setSkipRoutes(List<String> skipRoutes) {
        this.skipRoutes = skipRoutes;
    }

    public Boolean getSpanAttributes() {
        return spanAttributes;
    }

    public void setSpanAttributes(Boolean spanAttributes) {
        this.spanAttributes = spanAttributes;
    }

    public Metrics getMetrics() {
        return metrics;
    }

    public Profile getProfile() {
        return profile;
    }

    /** allocline.metrics.*: the Micrometer sink on the application's MeterRegistry. */
    public static class Metrics {

        /**
         * Whether each request's bytes are recorded in the application's MeterRegistry (distribution
         * http.server.requests.allocated, tagged by route) when there is one.
         */
        private boolean enabled = true;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }
    }

    /** allocline.profile.*: an allocation profile of the requests that allocate the most. */
    public static class Profile {

        /**
         * A request whose own bytes reach this triggers a profile (e.g. 256MB). Default: unset, no profiles; a
         * store (allocline.profile.s3.bucket, allocline.profile.directory or a customizer) is then required.
         */
        private DataSize threshold;

        /** Least time between two profiles. Default 5m. */
        private Duration cooldown;

        /** Profile key prefix: {environment}/profiles/{request id}-{suffix}.jfr. Default "default". */
        private String environment;

        /** jfr (sampled allocation stacks, the default) or heap-dump (opt-in: it holds every secret in the heap). */
        private Kind kind;

        /** Where profile files are written before they are stored; must be this user's own. Default under java.io.tmpdir. */
        private Path tempDirectory;

        /** A capture is skipped when its file could exceed this. Default 2GB. */
        private DataSize maxDisk;

        /** jdk.ObjectAllocationSample throttle, e.g. 300/s (default) or 150/s. */
        private String jfrThrottle;

        /** How far back the continuous recording reaches. Default 5m. */
        private Duration jfrMaxAge;

        /** How large the continuous recording may grow. Default 64MB. */
        private DataSize jfrMaxSize;

        /** Whether a heap dump holds only live objects (forces a full GC first). Default true. */
        private Boolean heapDumpLive;

        /** How long application shutdown waits for a profile upload in flight. Default 30s. */
        private Duration shutdownTimeout;

        /** A local directory to store profiles in (instead of S3). */
        private Path directory;

        private final S3 s3 = new S3();

        public DataSize getThreshold() {
            return threshold;
        }

        public void setThreshold(DataSize threshold) {
            this.threshold = threshold;
        }

        public Duration getCooldown() {
            return cooldown;
        }

        public void setCooldown(Duration cooldown) {
            this.cooldown = cooldown;
        }

        public String getEnvironment() {
            return environment;
        }

        public void setEnvironment(String environment) {
            this.environment = environment;
        }

        public Kind getKind() {
            return kind;
        }

        public void setKind(Kind kind) {
            this.kind = kind;
        }

        public Path getTempDirectory() {
            return tempDirectory;
        }

        public void setTempDirectory(Path tempDirectory) {
            this.tempDirectory = tempDirectory;
        }

        public DataSize getMaxDisk() {
            return maxDisk;
        }

        public void setMaxDisk(DataSize maxDisk) {
            this.maxDisk = maxDisk;
        }

        public String getJfrThrottle() {
            return jfrThrottle;
        }

        public void setJfrThrottle(String jfrThrottle) {
            this.jfrThrottle = jfrThrottle;
        }

        public Duration getJfrMaxAge() {
            return jfrMaxAge;
        }

        public void setJfrMaxAge(Duration jfrMaxAge) {
            this.jfrMaxAge = jfrMaxAge;
        }

        public DataSize getJfrMaxSize() {
            return jfrMaxSize;
        }

        public void setJfrMaxSize(DataSize jfrMaxSize) {
            this.jfrMaxSize = jfrMaxSize;
        }

        public Boolean getHeapDumpLive() {
            return heapDumpLive;
        }

        public void setHeapDumpLive(Boolean heapDumpLive) {
            this.heapDumpLive = heapDumpLive;
        }

        public Duration getShutdownTimeout() {
            return shutdownTimeout;
        }

        public void setShutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = shutdownTimeout;
        }

        public Path getDirectory() {
            return directory;
        }

        public void setDirectory(Path directory) {
            this.directory = directory;
        }

        public S3 getS3() {
            return s3;
        }
    }

    /** allocline.profile.s3.*: profiles to S3 through the application's S3Client bean. */
    public static class S3 {

        /** The bucket profiles go to; with an S3Client bean in the context this turns the S3 store on. */
        private String bucket;

        /** The KMS key for SSE-KMS; unset: the bucket's default encryption. */
        private String kmsKeyId;

        public String getBucket() {
            return bucket;
        }

        public void setBucket(String bucket) {
            this.bucket = bucket;
        }

        public String getKmsKeyId() {
            return kmsKeyId;
        }

        public void setKmsKeyId(String kmsKeyId) {
            this.kmsKeyId = kmsKeyId;
        }
    }

    /** What a profile captures. */
    public enum Kind {
        /** JFR allocation samples (the default). */
        JFR,
        /** A heap dump (.hprof): opt-in, it holds every secret in the heap. */
        HEAP_DUMP
    }
}
