package dev.allocline.profile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.testing.ResettingProxy;
import dev.allocline.testing.Eventually;
import dev.allocline.testing.S3Server;
import dev.allocline.testing.SilentServer;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;
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

    /** Open descriptors of this process that point at {@code file} (Linux: /proc/self/fd). */
    private static long openDescriptorsOn(Path file) throws IOException {
        Path fds = Path.of("/proc/self/fd");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(fds), "needs /proc/self/fd");
        String target = file.toAbsolutePath().toString();
        long n = 0;
        try (java.util.stream.Stream<Path> s = Files.list(fds)) {
            for (Path fd : (Iterable<Path>) s::iterator) {
                try {
                    String link = Files.readSymbolicLink(fd).toString();
                    if (link.equals(target) || link.equals(target + " (deleted)")) {
                        n++;
                    }
                } catch (IOException gone) {
                    // closed while listing
                }
            }
        }
        return n;
    }

    @Test
    void multipartUploadLeavesNoDescriptorOpenOnTheFile(@TempDir Path dir) throws IOException {
        Path f = randomFile(dir, 16 * 1024 * 1024 + 7);
        ProfileStore store = S3ProfileStore.builder().client(client).bucket("profiles")
                .multipartThresholdBytes(5L << 20).partSizeBytes(5L << 20).build();
        store.store("prod/profiles/fds.jfr", f);
        Files.delete(f);
        assertEquals(0, openDescriptorsOn(f), "descriptors left open on the uploaded file");
    }

    /**
     * A real network fault: the connection carrying the first attempt of part 2 is reset 1 MiB into its
     * body, so the SDK (retries on, as a service builds its client) asks the store for a new stream and
     * sends the part again. The SDK leaves the failed attempt's stream to its provider: every stream the
     * store opened must be closed, and the object must arrive whole. The failed attempt's stream also shows
     * that a part is streamed, not buffered: when its connection was reset, far less than the part had been
     * read from the file (a part buffered in the heap is read whole before its first byte is sent).
     */
    @Test
    void aPartRetriedAfterAConnectionResetClosesEveryStreamTheStoreOpened(@TempDir Path dir) throws IOException {
        s3.createBucket("retries");
        long part = 16L << 20;
        Path f = randomFile(dir, (int) (2 * part + (1 << 20))); // two parts of 16 MiB and one of 1 MiB
        List<CountedStream> streams = new CopyOnWriteArrayList<>();
        try (ResettingProxy proxy = new ResettingProxy(s3.port(), "partNumber=2", 1 << 20, 1);
             S3Client retrying = S3Client.builder()
                     .endpointOverride(URI.create("http://127.0.0.1:" + proxy.port()))
                     .region(Region.US_EAST_1).forcePathStyle(true)
                     .credentialsProvider(StaticCredentialsProvider.create(
                             AwsBasicCredentials.create(S3Server.ACCESS_KEY, S3Server.SECRET_KEY)))
                     .build()) {
            ProfileStore store = S3ProfileStore.builder().client(retrying).bucket("retries")
                    .multipartThresholdBytes(part).partSizeBytes(part)
                    .slices((file, from, length) -> {
                        CountedStream s = new CountedStream(S3ProfileStore.fileSlice(file, from, length), from);
                        streams.add(s);
                        return s;
                    })
                    .build();
            store.store("prod/profiles/retried.jfr", f);
            assertEquals(1, proxy.resets(), "the proxy reset no connection: no attempt was retried");
        }
        assertEquals(4, streams.size(), "streams opened for three parts and one retry: " + streams);
        assertTrue(streams.stream().allMatch(s -> s.closed), "streams left open: " + streams);
        CountedStream failed = streams.stream().filter(s -> s.from == part).findFirst().orElseThrow();
        assertTrue(failed.read < part / 2, "the failed attempt read " + failed.read + " of " + part + " bytes");
        assertArrayEquals(Files.readAllBytes(f),
                client.getObjectAsBytes(b -> b.bucket("retries").key("prod/profiles/retried.jfr")).asByteArray());
        Files.delete(f);
        assertEquals(0, openDescriptorsOn(f), "descriptors left open on the uploaded file");
    }

    /** A part's stream that remembers where it starts, how much was read from it and whether it was closed. */
    private static final class CountedStream extends FilterInputStream {
        final long from;
        volatile long read;
        volatile boolean closed;

        CountedStream(InputStream in, long from) {
            super(in);
            this.from = from;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                read++;
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) {
                read += n;
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            closed = true;
            super.close();
        }

        @Override
        public String toString() {
            return "[from " + from + ", read " + read + (closed ? ", closed]" : ", OPEN]");
        }
    }

    @Test
    void aFailingPartAbortsTheUploadAndLeavesNoneIncomplete(@TempDir Path dir) throws IOException {
        s3.createBucket("aborts");
        Path f = randomFile(dir, 11 * 1024 * 1024);
        // A real failure inside the SDK client: the second part's request is refused before it is sent.
        software.amazon.awssdk.core.interceptor.ExecutionInterceptor failSecondPart =
                new software.amazon.awssdk.core.interceptor.ExecutionInterceptor() {
                    @Override
                    public void beforeExecution(software.amazon.awssdk.core.interceptor.Context.BeforeExecution c,
                                                software.amazon.awssdk.core.interceptor.ExecutionAttributes a) {
                        if (c.request() instanceof software.amazon.awssdk.services.s3.model.UploadPartRequest p
                                && p.partNumber() == 2) {
                            throw new IllegalStateException("part 2 refused by the test");
                        }
                    }
                };
        try (S3Client failing = S3Client.builder().endpointOverride(s3.endpoint())
                .region(software.amazon.awssdk.regions.Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                        software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(S3Server.ACCESS_KEY,
                                S3Server.SECRET_KEY)))
                .overrideConfiguration(c -> c.addExecutionInterceptor(failSecondPart)).build()) {
            ProfileStore store = S3ProfileStore.builder().client(failing).bucket("aborts")
                    .multipartThresholdBytes(5L << 20).partSizeBytes(5L << 20).build();
            IOException e = assertThrows(IOException.class, () -> store.store("prod/profiles/aborted.jfr", f));
            assertTrue(e.getMessage().contains("part 2 refused"), e::getMessage);
        }
        assertTrue(client.listMultipartUploads(b -> b.bucket("aborts")).uploads().isEmpty(),
                "an incomplete multipart upload was left in the bucket");
        assertTrue(client.listObjectsV2(b -> b.bucket("aborts")).contents().isEmpty());
        assertEquals(0, openDescriptorsOn(f), "descriptors left open on the file after the failure");
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

    /**
     * The server refuses the credentials and closes the connection while the client may still be
     * sending the body: the SDK then reports "Broken pipe" (or a reset), not the refusal. Whatever the
     * size and the timing, the failure must name S3's reason. Sizes cover one put below and above the
     * SDK's 100-continue threshold and a multipart upload; each three times, since the race differs
     * run to run.
     */
    @Test
    void refusedCredentialsAreNamedWhateverTheFilesSize(@TempDir Path dir) throws IOException {
        int[] sizes = {64 << 10, 1 << 20, 16 << 20, 20 << 20};
        try (S3Client wrongSecret = s3.ordinaryClient(S3Server.ACCESS_KEY, "not-the-secret");
             S3Client unknownKey = s3.ordinaryClient("nobody", S3Server.SECRET_KEY)) {
            for (int size : sizes) {
                Path f = randomFile(dir, size);
                for (int round = 0; round < 3; round++) {
                    String key = "prod/profiles/refused-" + size + "-" + round + ".jfr";
                    assertRefusedWith(wrongSecret, f, key, "SignatureDoesNotMatch");
                    assertRefusedWith(unknownKey, f, key, "InvalidAccessKeyId");
                }
            }
        }
        assertTrue(client.listMultipartUploads(b -> b.bucket("profiles")).uploads().stream()
                .noneMatch(u -> u.key().contains("refused")), "a refused upload left a multipart upload behind");
    }

    private static void assertRefusedWith(S3Client wrong, Path f, String key, String code) {
        ProfileStore store = S3ProfileStore.builder().client(wrong).bucket("profiles")
                .multipartThresholdBytes(18L << 20).partSizeBytes(5L << 20).build();
        IOException e = assertThrows(IOException.class, () -> store.store(key, f));
        System.out.println("s3 refusal: " + e.getMessage());
        assertTrue(e.getMessage().contains(code), () -> "for " + key + ": " + e.getMessage());
        assertTrue(e.getMessage().contains("s3://profiles/" + key), e::getMessage);
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
    /** The local store refuses a key it holds ({@link LocalDirectoryProfileStoreTest}); so must S3, whatever the path. */
    private static void assertRefusedAsTaken(IOException e, String key) {
        assertTrue(e instanceof FileAlreadyExistsException, () -> "not the refusal of a taken key: " + e);
        assertTrue(e.getMessage().contains("a profile is already stored under " + key), e::getMessage);
        assertTrue(e.getMessage().contains("s3://profiles/" + key), e::getMessage);
    }

    private static byte[] stored(String key) {
        return client.getObjectAsBytes(b -> b.bucket("profiles").key(key)).asByteArray();
    }

    @Test
    void aKeyThatIsTakenIsRefusedAndTheStoredProfileKept(@TempDir Path dir) throws IOException {
        ProfileStore store = S3ProfileStore.builder().client(client).bucket("profiles").build();
        Path first = randomFile(dir, 1000);
        store.store("prod/profiles/taken.jfr", first);
        Path second = randomFile(dir, 2000);
        IOException e = assertThrows(IOException.class, () -> store.store("prod/profiles/taken.jfr", second));
        assertRefusedAsTaken(e, "prod/profiles/taken.jfr");
        assertArrayEquals(Files.readAllBytes(first), stored("prod/profiles/taken.jfr"), "the first profile is untouched");
    }

    @Test
    void aMultipartUploadToATakenKeyIsRefusedAndLeavesNoUploadBehind(@TempDir Path dir) throws IOException {
        s3.createBucket("taken-multipart");
        String key = "prod/profiles/taken-big.jfr";
        Path first = randomFile(dir, 1000);
        S3ProfileStore.builder().client(client).bucket("taken-multipart").build().store(key, first);
        ProfileStore store = S3ProfileStore.builder().client(client).bucket("taken-multipart")
                .multipartThresholdBytes(5L << 20).partSizeBytes(5L << 20).build();
        IOException e = assertThrows(IOException.class, () -> store.store(key, randomFile(dir, 11 * 1024 * 1024)));
        assertTrue(e instanceof FileAlreadyExistsException, () -> "not the refusal of a taken key: " + e);
        assertTrue(e.getMessage().contains("a profile is already stored under " + key), e::getMessage);
        assertArrayEquals(Files.readAllBytes(first),
                client.getObjectAsBytes(b -> b.bucket("taken-multipart").key(key)).asByteArray(), "the first is untouched");
        assertTrue(client.listMultipartUploads(b -> b.bucket("taken-multipart")).uploads().isEmpty(),
                "the refused multipart upload was left in the bucket");
    }

    @Test
    void anAsyncPutToATakenKeyIsRefused(@TempDir Path dir) throws IOException {
        try (S3AsyncClient async = s3.asyncClient(64L << 20)) {
            ProfileStore store = S3ProfileStore.builder().asyncClient(async).bucket("profiles").build();
            Path first = randomFile(dir, 1000);
            assertEquals("s3://profiles/prod/profiles/taken-async.jfr", store.store("prod/profiles/taken-async.jfr", first));
            IOException e = assertThrows(IOException.class,
                    () -> store.store("prod/profiles/taken-async.jfr", randomFile(dir, 2000)));
            assertRefusedAsTaken(e, "prod/profiles/taken-async.jfr");
            assertArrayEquals(Files.readAllBytes(first), stored("prod/profiles/taken-async.jfr"));
        }
    }

    /** The SDK's own multipart upload (an async client with multipart on) completes with the put's condition. */
    @Test
    void anAsyncMultipartUploadToATakenKeyIsRefused(@TempDir Path dir) throws IOException {
        try (S3AsyncClient async = s3.asyncClient(5L << 20)) {
            ProfileStore store = S3ProfileStore.builder().asyncClient(async).bucket("profiles").build();
            Path first = randomFile(dir, 11 * 1024 * 1024);
            store.store("prod/profiles/taken-async-big.jfr", first);
            assertArrayEquals(Files.readAllBytes(first), stored("prod/profiles/taken-async-big.jfr"), "stored in parts");
            Path second = randomFile(dir, 12 * 1024 * 1024);
            IOException e = assertThrows(IOException.class, () -> store.store("prod/profiles/taken-async-big.jfr", second));
            assertRefusedAsTaken(e, "prod/profiles/taken-async-big.jfr");
            assertArrayEquals(Files.readAllBytes(first), stored("prod/profiles/taken-async-big.jfr"));
        }
    }

    /**
     * An async client with no timeout of its own, against a server that never answers: the upload would hang for
     * ever. Interrupting the profile thread (what shutdown does after {@code shutdownTimeout}) must end the wait and
     * cancel the request, not leave it running.
     */
    @Test
    void anAsyncUploadThatIsNeverAnsweredIsCancelledWhenItsThreadIsInterrupted(@TempDir Path dir) throws Exception {
        Path f = randomFile(dir, 100_000);
        try (SilentServer silent = new SilentServer();
             S3AsyncClient async = S3Server.asyncClient(URI.create("http://127.0.0.1:" + silent.port()), 64L << 20)) {
            ProfileStore store = S3ProfileStore.builder().asyncClient(async).bucket("profiles").build();
            AtomicReference<Throwable> outcome = new AtomicReference<>();
            AtomicBoolean stillInterrupted = new AtomicBoolean();
            Thread profileThread = new Thread(() -> {
                try {
                    store.store("prod/profiles/hung.jfr", f);
                    outcome.set(new AssertionError("stored on a server that never answers"));
                } catch (Throwable t) {
                    outcome.set(t);
                }
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            }, "test-profile-thread");
            profileThread.setDaemon(true); // a wait that ignores the interrupt must not keep the test JVM alive
            profileThread.start();
            Eventually.that("the upload reached the server", () -> silent.received() > 0);
            profileThread.interrupt();
            profileThread.join(10_000);
            assertFalse(profileThread.isAlive(), "the store still waits for an answer after its thread was interrupted");
            assertTrue(outcome.get() instanceof InterruptedIOException, () -> "outcome: " + outcome.get());
            assertTrue(outcome.get().getMessage().contains("s3://profiles/prod/profiles/hung.jfr"), outcome.get()::getMessage);
            assertTrue(stillInterrupted.get(), "the thread's interrupt status is kept for its owner");
            Eventually.that("the request's connection closed by the client", () -> silent.closedByClient() > 0);
        }
    }
}
