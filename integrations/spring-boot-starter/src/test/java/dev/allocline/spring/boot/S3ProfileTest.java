package dev.allocline.spring.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.spring.boot.app.DemoApplication;
import dev.allocline.testing.S3Server;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Profiles to S3 through the starter: the application's {@code S3Client} bean plus
 * {@code allocline.profile.s3.bucket} and {@code allocline.profile.threshold}, and nothing else; a request over
 * the threshold leaves its profile in the bucket under the line's {@code profile_key}. Against a real
 * S3-compatible server on loopback (s3proxy, which checks SigV4 signatures).
 */
@SpringBootTest(classes = {DemoApplication.class, S3ProfileTest.S3Config.class},
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"allocline.request-id-header=X-Request-Id", "allocline.profile.threshold=8MB",
                "allocline.profile.environment=boottest", "allocline.profile.s3.bucket=profiles"})
@ExtendWith(OutputCaptureExtension.class)
class S3ProfileTest {

    static final S3Server S3 = S3Server.start();

    static {
        S3.createBucket("profiles");
    }

    /** The application's own client, as a service defines it (here pointed at the loopback server). */
    @TestConfiguration(proxyBeanMethods = false)
    static class S3Config {
        @Bean(destroyMethod = "close")
        S3Client s3Client() {
            return S3.client();
        }
    }

    @Value("${local.server.port}")
    int port;

    @AfterAll
    static void stopServer() {
        S3.close();
    }

    static List<String> keys(String prefix) {
        try (S3Client c = S3.client()) {
            return c.listObjectsV2(b -> b.bucket("profiles").prefix(prefix)).contents().stream().map(S3Object::key)
                    .collect(Collectors.toList());
        }
    }

    @Test
    void aRequestOverTheThresholdStoresItsProfileInTheBucket(CapturedOutput output) throws Exception {
        HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/clusters/heavy/32"))
                        .header("X-Request-Id", "boot-s3-heavy").timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        Pattern keyOnLine = Pattern.compile("canonical_api_line request_id=boot-s3-heavy .* profile_key=([^\\s\"]+)");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String key = null;
        while (key == null || !keys("boottest/profiles/").contains(key)) {
            assertTrue(System.nanoTime() < deadline, "no profile in the bucket; it holds " + keys("") + "; output:\n"
                    + output.getOut());
            if (key == null) {
                Matcher m = keyOnLine.matcher(output.getOut());
                key = m.find() ? m.group(1) : null;
            }
            Thread.sleep(50); // polling the output and the bucket for the condition
        }
        assertTrue(key.matches("boottest/profiles/boot-s3-heavy-[0-9a-f]{16}\\.jfr"), key);
        List<String> profiles = keys("boottest/profiles/").stream()
                .filter(k -> k.endsWith(".jfr") && !k.endsWith(".request.jfr")).collect(Collectors.toList());
        assertEquals(List.of(key), profiles, "one profile, under the line's key");
        String stored = key;
        try (S3Client c = S3.client()) {
            byte[] jfr = c.getObjectAsBytes(b -> b.bucket("profiles").key(stored)).asByteArray();
            assertEquals("FLR\0", new String(jfr, 0, 4, StandardCharsets.US_ASCII), "a JFR file");
        }
    }
}
