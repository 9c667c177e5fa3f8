package dev.allocline.dropwizard;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.util.Duration;
import io.dropwizard.validation.MinDuration;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.net.URI;
import java.util.concurrent.TimeUnit;

/**
 * The {@code allocline.profileS3:} block: profiles go to an S3 bucket through a client the bundle builds
 * and closes with the service. Credentials are never in the file: the AWS SDK's default chain finds them
 * (environment, {@code aws.*} system properties, {@code ~/.aws}, container or instance role), as for
 * any AWS client. Read once, at start-up; needs {@code software.amazon.awssdk:s3} on the class path.
 *
 * <pre>
 * allocline:
 *   profileThreshold: 256MiB
 *   profileS3:
 *     bucket: my-service-profiles
 *     region: eu-west-1
 * </pre>
 */
public class S3ProfileFactory {

    /** The bucket profiles are stored in. */
    @JsonProperty
    @NotEmpty
    private String bucket;

    /** The bucket's region; unset: the SDK's default region chain (AWS_REGION, aws.region, ~/.aws/config). */
    @JsonProperty
    @Pattern(regexp = "[a-z0-9-]{1,40}", message = "must be an AWS region name such as eu-west-1")
    private String region;

    /** Another endpoint than AWS's (an S3-compatible server, a VPC endpoint). */
    @JsonProperty
    private URI endpoint;

    /** Path-style addressing ({@code endpoint/bucket/key}), which most S3-compatible servers need. */
    @JsonProperty
    private boolean pathStyleAccess;

    /** Server-side encryption with this KMS key (SSE-KMS); unset: the bucket's default encryption. */
    @JsonProperty
    private String kmsKeyId;

    /** How long one upload may take before it is abandoned (so a hung upload cannot hold the profile thread). */
    @JsonProperty
    @NotNull
    @MinDuration(value = 1, unit = TimeUnit.SECONDS)
    private Duration apiCallTimeout = Duration.minutes(2);

    public String getBucket() {
        return bucket;
    }

    public String getRegion() {
        return region;
    }

    public URI getEndpoint() {
        return endpoint;
    }

    public boolean isPathStyleAccess() {
        return pathStyleAccess;
    }

    public String getKmsKeyId() {
        return kmsKeyId;
    }

    public Duration getApiCallTimeout() {
        return apiCallTimeout;
    }
}
