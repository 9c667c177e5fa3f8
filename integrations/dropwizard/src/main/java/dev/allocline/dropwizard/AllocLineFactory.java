package dev.allocline.dropwizard;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.DataSize;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDataSize;
import io.dropwizard.validation.MinDuration;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code allocline:} block of a service's configuration, bound by Jackson and validated by Dropwizard's
 * validator at start-up like the rest of the file (a bad value stops the start naming {@code allocline.<field>});
 * whatever the annotations cannot express is validated by the Feature's builder in
 * {@link AllocLineBundle#run}. An unset field keeps the library's default. Read once, at start-up.
 *
 * <pre>
 * allocline:
 *   requestIdHeader: X-Request-Id
 *   skipRoutes: [/ping]
 *   profileThreshold: 256MiB
 *   profileDirectory: /var/lib/myservice/profiles   # or profileS3: {bucket: ..., region: ...}
 * </pre>
 */
public class AllocLineFactory {

    /** Whether allocline is registered at all. */
    @JsonProperty
    private boolean enabled = true;

    /** The inbound header whose id is trusted; the response carries the id in it. */
    @JsonProperty
    @Pattern(regexp = "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}", message = "must be an HTTP header name")
    private String requestIdHeader;

    /** The MDC key for the request id; default {@code request_id}. */
    @JsonProperty
    @Pattern(regexp = "[A-Za-z_][A-Za-z0-9_.-]{0,63}")
    private String loggingContextKey;

    /** Whether lines carry {@code total_alloc_delta}. */
    @JsonProperty
    private Boolean processAllocationDelta;

    /** How often one kind of internal failure may be logged. */
    @JsonProperty
    private Duration failureLogPeriod;

    /** Whether the per-route histograms go to the service's MetricRegistry. */
    @JsonProperty
    private boolean metrics = true;

    /** Route templates (e.g. {@code /ping}) whose lines are not written; 5xx and overruns are. */
    @JsonProperty
    @NotNull
    private List<@NotNull @Size(min = 1) String> skipRoutes = new ArrayList<>();

    /** Whether the figure goes on the current OpenTelemetry span; default on with the API present. */
    @JsonProperty
    private Boolean spanAttributes;

    /** A request whose own bytes reach this triggers a profile into {@code profileDirectory} or {@code profileS3}. */
    @JsonProperty
    @MinDataSize(1)
    private DataSize profileThreshold;

    /** Where profiles are stored: a local directory (or {@code profileS3}); one is required with {@code profileThreshold}. */
    @JsonProperty
    private Path profileDirectory;

    /** Where profiles are stored: an S3 bucket (or {@code profileDirectory}). */
    @JsonProperty
    @Valid
    private S3ProfileFactory profileS3;

    /** Least time between two profiles. */
    @JsonProperty
    @MinDuration(0)
    private Duration profileCooldown;

    /** Profile key prefix. */
    @JsonProperty
    @Pattern(regexp = "[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
    private String environment;

    public boolean isEnabled() {
        return enabled;
    }

    public String getRequestIdHeader() {
        return requestIdHeader;
    }

    public String getLoggingContextKey() {
        return loggingContextKey;
    }

    public Boolean getProcessAllocationDelta() {
        return processAllocationDelta;
    }

    public Duration getFailureLogPeriod() {
        return failureLogPeriod;
    }

    public boolean isMetrics() {
        return metrics;
    }

    public List<String> getSkipRoutes() {
        return skipRoutes;
    }

    public Boolean getSpanAttributes() {
        return spanAttributes;
    }

    public DataSize getProfileThreshold() {
        return profileThreshold;
    }

    public Path getProfileDirectory() {
        return profileDirectory;
    }

    public S3ProfileFactory getProfileS3() {
        return profileS3;
    }

    /** Profiles go to one place. */
    @JsonIgnore
    @ValidationMethod(message = "profileDirectory and profileS3 are both set; profiles go to one of them")
    public boolean isOneProfileStore() {
        return profileDirectory == null || profileS3 == null;
    }

    /** A threshold needs somewhere to put the profiles. */
    @JsonIgnore
    @ValidationMethod(message = "profileThreshold is set but neither profileDirectory nor profileS3 is")
    public boolean isProfileStoreGivenForThreshold() {
        return profileThreshold == null || profileDirectory != null || profileS3 != null;
    }

    public Duration getProfileCooldown() {
        return profileCooldown;
    }

    public String getEnvironment() {
        return environment;
    }
}
