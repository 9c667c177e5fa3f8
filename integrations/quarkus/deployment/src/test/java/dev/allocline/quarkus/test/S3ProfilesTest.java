package dev.allocline.quarkus.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.line.CanonicalLine;
import io.quarkus.test.QuarkusUnitTest;
import io.quarkus.test.common.http.TestHTTPResource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code quarkus.allocline.profile.s3-bucket}: a request over the threshold gets its JFR recording uploaded through
 * the application's own {@code S3Client} bean (a CDI producer of the application, path-style, against s3proxy on
 * loopback, which checks the signatures), under the key its line names.
 */
class S3ProfilesTest {

    static final String BUCKET = "quarkus-profiles";
    static final String ENDPOINT = S3ProxyProcess.endpoint();

    @RegisterExtension
    static final QuarkusUnitTest APP = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(CapturedLines.class, CapturedLines.Captured.class,
                    Allocating.class, Allocating.Allocation.class, Allocating.Conflict.class,
                    Allocating.ConflictMapper.class, Allocating.AllocationWriter.class, S3ClientProducer.class,
                    S3ProxyProcess.class))
            .overrideConfigKey("quarkus.http.test-port", "0")
            .overrideConfigKey("quarkus.allocline.request-id-header", "X-Request-Id")
            .overrideConfigKey("quarkus.allocline.profile.threshold", "8M")
            .overrideConfigKey("quarkus.allocline.profile.s3-bucket", BUCKET)
            .overrideConfigKey("quarkus.allocline.profile.environment", "quarkus-s3")
            .overrideConfigKey("test.s3.endpoint", ENDPOINT);

    static final CapturedLines LINES = CapturedLines.attach();

    /** The application's S3 client, as a service produces one; the bucket is made here, before the first request. */
    @ApplicationScoped
    public static class S3ClientProducer {
        @Produces
        @Singleton
        S3Client s3(@org.eclipse.microprofile.config.inject.ConfigProperty(name = "test.s3.endpoint") String endpoint) {
            S3Client client = client(endpoint);
            client.createBucket(b -> b.bucket(BUCKET));
            return client;
        }

        void close(@Disposes S3Client client) {
            client.close();
        }
    }

    static S3Client client(String endpoint) {
        return S3Client.builder().endpointOverride(URI.create(endpoint)).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(S3ProxyProcess.ACCESS_KEY, S3ProxyProcess.SECRET_KEY)))
                .build();
    }

    @TestHTTPResource("/")
    URI base;

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void aRequestOverTheThresholdIsProfiledIntoTheApplicationsBucket() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("alloc/worker/24"))
                .header("X-Request-Id", "s3-over-threshold").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        CanonicalLine line = LINES.await(l -> l.requestId().equals("s3-over-threshold")).line();
        String key = line.profileKey().orElseThrow(() -> new AssertionError("no profile_key: " + line));
        assertTrue(key.startsWith("quarkus-s3/profiles/s3-over-threshold-") && key.endsWith(".jfr"), key);
        try (S3Client reader = client(ENDPOINT)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            List<String> keys = List.of();
            while (!keys.contains(key) && System.nanoTime() < deadline) {
                Thread.sleep(100); // polling the bucket for the condition "the profile is there"
                keys = reader.listObjectsV2(b -> b.bucket(BUCKET)).contents().stream().map(S3Object::key)
                        .collect(Collectors.toList());
            }
            assertTrue(keys.contains(key), key + " is in the bucket, which holds " + keys);
            byte[] jfr = reader.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray();
            assertTrue(jfr.length > 4 && jfr[0] == 'F' && jfr[1] == 'L' && jfr[2] == 'R' && jfr[3] == 0,
                    "a JFR recording (magic FLR\\0), " + jfr.length + " bytes");
        }
    }
}
