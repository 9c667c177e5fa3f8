package dev.allocline.dropwizard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allocline.testing.S3Server;
import io.dropwizard.testing.ConfigOverride;
import io.dropwizard.testing.ResourceHelpers;
import io.dropwizard.testing.junit5.DropwizardAppExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Profiles to S3 configured only in the service's YAML ({@code allocline.profileS3}: bucket, region, endpoint),
 * against a real S3-compatible server on loopback (s3proxy, which checks SigV4 signatures). The credentials
 * come the way the AWS SDK finds them, here its {@code aws.accessKeyId}/{@code aws.secretAccessKey} system
 * properties.
 */
class AllocLineS3ProfileTest {

    static final JsonLog LOG = new JsonLog(Path.of("target/allocline-dropwizard-s3.log"));

    static S3Server s3;
    static S3Client reader;
    static DropwizardAppExtension<ClustersService.Config> app;
    static String accessKeyBefore;
    static String secretKeyBefore;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3Server.start();
        s3.createBucket("profiles");
        reader = s3.client();
        accessKeyBefore = System.setProperty("aws.accessKeyId", S3Server.ACCESS_KEY);
        secretKeyBefore = System.setProperty("aws.secretAccessKey", S3Server.SECRET_KEY);
        app = new DropwizardAppExtension<>(ClustersService.class, ResourceHelpers.resourceFilePath("allocline-s3.yml"),
                ConfigOverride.config("allocline.profileS3.endpoint", s3.endpoint().toString()));
        app.before();
    }

    @AfterAll
    static void stop() {
        try {
            if (app != null) {
                app.after();
            }
        } finally {
            restore("aws.accessKeyId", accessKeyBefore);
            restore("aws.secretAccessKey", secretKeyBefore);
            reader.close();
            s3.close();
        }
    }

    static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    static HttpResponse<String> get(String path, String id) throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + app.getLocalPort() + path)).header("X-Request-Id", id)
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static List<String> keys(String prefix) {
        return reader.listObjectsV2(b -> b.bucket("profiles").prefix(prefix)).contents().stream().map(S3Object::key)
                .collect(Collectors.toList());
    }

    @Test
    void aRequestOverTheThresholdStoresItsProfileInTheBucket() throws Exception {
        assertEquals(200, get("/clusters/heavy/32", "dw-s3-heavy").statusCode());
        JsonNode line = LOG.awaitLine("dw-s3-heavy");
        assertTrue(line.path("alloc_bytes").asLong() >= 32L << 20, line::toString);
        String key = line.path("profile_key").asText();
        assertTrue(key.matches("dwtest/profiles/dw-s3-heavy-[0-9a-f]{16}\\.jfr"), () -> "profile_key: " + line);

        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!keys("dwtest/profiles/").contains(key)) {
            assertTrue(System.nanoTime() < deadline, () -> key + " never reached the bucket; it holds " + keys(""));
            Thread.sleep(50); // polling the bucket for the condition
        }
        List<String> profiles = keys("dwtest/profiles/").stream()
                .filter(k -> k.endsWith(".jfr") && !k.endsWith(".request.jfr")).collect(Collectors.toList());
        assertEquals(List.of(key), profiles, "one profile, under the line's key");
        byte[] jfr = reader.getObjectAsBytes(b -> b.bucket("profiles").key(key)).asByteArray();
        assertTrue(jfr.length > 1000 && new String(jfr, 0, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("FLR\0"),
                () -> "a JFR file (" + jfr.length + " bytes)");
    }

    @Test
    void aRequestUnderTheThresholdStoresNothing() throws Exception {
        assertEquals(200, get("/clusters/c-1", "dw-s3-small").statusCode());
        JsonNode line = LOG.awaitLine("dw-s3-small");
        assertTrue(line.path("profile_key").isMissingNode(), line::toString);
        assertEquals(List.of(), keys("dwtest/profiles/dw-s3-small"));
    }
}
