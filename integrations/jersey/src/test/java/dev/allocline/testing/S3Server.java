package dev.allocline.testing;

import java.net.URI;
import java.time.Duration;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3-compatible server (s3proxy, in memory) on 127.0.0.1 and a free port. It checks SigV4
 * signatures, so a client with the wrong secret is really refused.
 */
public final class S3Server implements AutoCloseable {

    public static final String ACCESS_KEY = "allocline-test";
    public static final String SECRET_KEY = "allocline-test-secret";

    private final S3Proxy proxy;
    private final URI endpoint;

    private S3Server(S3Proxy proxy, URI endpoint) {
        this.proxy = proxy;
        this.endpoint = endpoint;
    }

    /** Starts a server on a free port. */
    public static S3Server start() {
        return start(0);
    }

    /** Starts a server on {@code port} (0 for a free one; a fixed port lets a test restart it in place). */
    public static S3Server start(int port) {
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(new TransientNio2BlobStore())
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .ignoreUnknownHeaders(true)
                .build();
        try {
            proxy.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!"STARTED".equals(proxy.getState())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
                }
                Thread.sleep(10);
            }
        } catch (Exception e) {
            throw new IllegalStateException("could not start s3proxy on loopback", e);
        }
        return new S3Server(proxy, URI.create("http://127.0.0.1:" + proxy.getPort()));
    }

    public URI endpoint() {
        return endpoint;
    }

    public int port() {
        return endpoint.getPort();
    }

    /** A client with the right credentials. */
    public S3Client client() {
        return client(SECRET_KEY, Duration.ofSeconds(30));
    }

    /** A client signing with {@code secret}, giving up after {@code apiCallTimeout}. */
    public S3Client client(String secret, Duration apiCallTimeout) {
        return S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, secret)))
                .overrideConfiguration(c -> c.apiCallTimeout(apiCallTimeout).retryStrategy(r -> r.maxAttempts(1)))
                .build();
    }

    /**
     * A client built the way a service builds one: the SDK's defaults (its HTTP client, retries on,
     * {@code Expect: 100-continue} above the SDK's threshold), only the endpoint and the credentials set.
     */
    public S3Client ordinaryClient(String accessKey, String secret) {
        return S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secret)))
                .build();
    }

    /**
     * An asynchronous client (Netty) with the SDK's multipart upload on above {@code multipartThresholdBytes},
     * retries off and no timeout of its own, only the endpoint and the credentials set.
     */
    public S3AsyncClient asyncClient(long multipartThresholdBytes) {
        return asyncClient(endpoint, multipartThresholdBytes);
    }

    /** As {@link #asyncClient(long)}, against {@code endpoint} (a proxy or a server that never answers). */
    public static S3AsyncClient asyncClient(URI endpoint, long multipartThresholdBytes) {
        return S3AsyncClient.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().readTimeout(Duration.ZERO).writeTimeout(Duration.ZERO))
                .overrideConfiguration(c -> c.retryStrategy(r -> r.maxAttempts(1)))
                .multipartEnabled(true)
                .multipartConfiguration(m -> m.thresholdInBytes(multipartThresholdBytes).minimumPartSizeInBytes(5L << 20))
                .build();
    }

    /** Creates {@code bucket}. */
    public void createBucket(String bucket) {
        try (S3Client c = client()) {
            c.createBucket(b -> b.bucket(bucket));
        }
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
