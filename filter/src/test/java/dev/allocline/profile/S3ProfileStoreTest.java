package dev.allocline.profile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.testing.S3Server;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.StorageClass;

/** The S3 store against a real S3-compatible server on loopback. */
class S3ProfileStoreTest {

    static S3Server s3;
    static S3Client client;

    @BeforeAll
    static void start() {
        s3 = S3Server.start();
        s3.createBucket("profiles");
        client = s3.client();
    }

    @AfterAll
    static void stop() {
        client.close();
        s3.close();
    }

    private static Path randomFile(Path dir, int size) throws IOException {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        Path f = dir.resolve("profile-" + size + ".bin");
        Files.write(f, data);
        return f;
    }

    @Test
    void smallFileIsStoredInOnePut(@TempDir Path dir) throws IOException {
        Path f = randomFile(dir, 100_000);
        ProfileStore store = S3ProfileStore.builder().client(client).bucket("profiles").build();
        assertEquals("s3://profiles/prod/profiles/a.jfr", store.store("prod/profiles/a.jfr", f));
        assertArrayEquals(Files.readAllBytes(f), client.getObjectAsBytes(b -> b.bucket("profiles").key("prod/profiles/a.jfr")).asByteArray());
    }

    @Test
    void largeFileGoesMultipartAndArrivesWhole(@TempDir Path dir) throws IOException {
        Path f = randomFile(dir, 12 * 1024 * 1024 + 123);
        ProfileStore store = S3ProfileStore.builder().client(client).bucket("profiles")
                .multipartThresholdBytes(5L << 20).partSizeBytes(5L << 20).build();
        store.store("prod/profiles/big.jfr", f);
        byte[] back = client.getObjectAsBytes(b -> b.bucket("profiles").key("prod/profiles/big.jfr")).asByteArray();
        assertArrayEquals(Files.readAllBytes(f), back);
    }

    @Test
    void storageClassIsSent(@TempDir Path dir) throws IOException {
        Path f = randomFile(dir, 1000);
        S3ProfileStore.builder().client(client).bucket("profiles").storageClass(StorageClass.STANDARD_IA).build()
                .store("prod/profiles/ia.jfr", f);
        assertEquals(StorageClass.STANDARD_IA,
                client.headObject(b -> b.bucket("profiles").key("prod/profiles/ia.jfr")).storageClass());
    }

    @Test
    void wrongCredentialsAreRefused(@TempDir Path dir) throws IOException {
        Path f = randomFile(dir, 1000);
        try (S3Client wrong = s3.client("not-the-secret", Duration.ofSeconds(10))) {
            ProfileStore store = S3ProfileStore.builder().client(wrong).bucket("profiles").build();
            IOException e = assertThrows(IOException.class, () -> store.store("prod/profiles/x.jfr", f));
            assertTrue(e.getMessage().contains("s3://profiles/prod/profiles/x.jfr"), e.getMessage());
        }
    }

    @Test
    void badSettingsNameTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> S3ProfileStore.builder().client(client).bucket("").build());
        assertTrue(e.getMessage().contains("bucket"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> S3ProfileStore.builder().bucket("b").build());
        assertTrue(e.getMessage().contains("client"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> S3ProfileStore.builder().client(client).bucket("b").partSizeBytes(1024).build());
        assertTrue(e.getMessage().contains("partSizeBytes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> S3ProfileStore.builder().client(client).bucket("b")
                .serverSideEncryption(ServerSideEncryption.AES256).kmsKeyId("k").build());
        assertTrue(e.getMessage().contains("kmsKeyId"), e.getMessage());
    }
}
