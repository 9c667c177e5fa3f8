package dev.allocline.profile;

import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.StorageClass;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * Stores profiles in an S3 bucket (AWS SDK v2). Credentials, region, endpoint and timeouts are the
 * client's: build the client as the rest of the service does (the SDK's default credential chain,
 * {@code apiCallTimeout} so a hung upload cannot hold the profile thread forever). With an
 * {@link S3Client}, files above the multipart threshold are uploaded in parts (streamed from the file,
 * each attempt of a part reading it afresh, every stream closed, retried attempts' included; an upload that
 * fails is aborted so no parts linger). With an
 * {@link S3AsyncClient}, a single {@code putObject} from the file is issued and multipart is left to
 * the client ({@code S3AsyncClient.builder().multipartEnabled(true)}). Immutable; called on the
 * library's profile thread, one profile at a time.
 *
 * <p>A profile is never replaced: every put, and the completion of every multipart upload (the SDK's own
 * ones too, which complete with the put's condition), carries S3's conditional write
 * {@code If-None-Match: *}, and S3's {@code 412 Precondition Failed} for a key already stored is turned into
 * the refusal {@link LocalDirectoryProfileStore} gives, a {@link FileAlreadyExistsException}; a refused
 * multipart upload is aborted. The bucket's policy may require the condition
 * ({@code s3:if-none-match}), so no other writer can replace a profile either.
 *
 * <p>With an async client the profile thread waits for the upload until it is interrupted: the library
 * interrupts it when an upload is still running {@code shutdownTimeout} after the application began to
 * stop, and the upload is then cancelled, not left running. A client's own {@code apiCallTimeout} still
 * bounds an upload while the application runs.
 *
 * <pre>{@code
 * ProfileStore store = S3ProfileStore.builder()
 *         .client(S3Client.create())
 *         .bucket("my-profiles")
 *         .serverSideEncryption(ServerSideEncryption.AWS_KMS)
 *         .build();
 * }</pre>
 */
public final class S3ProfileStore implements ProfileStore {

    private final S3Client client;
    private final S3AsyncClient asyncClient;
    private final String bucket;
    private final ServerSideEncryption sse;
    private final String kmsKeyId;
    private final StorageClass storageClass;
    private final long multipartThreshold;
    private final long partSize;
    private final Slices slices;

    private S3ProfileStore(Builder b) {
        this.client = b.client;
        this.asyncClient = b.asyncClient;
        this.bucket = b.bucket;
        this.sse = b.sse;
        this.kmsKeyId = b.kmsKeyId;
        this.storageClass = b.storageClass;
        this.multipartThreshold = b.multipartThreshold;
        this.partSize = b.partSize;
        this.slices = b.slices;
    }

    /** A builder; {@code bucket} and one client are required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @throws FileAlreadyExistsException when {@code key} is already stored; the stored object is untouched
     * @throws InterruptedIOException when the thread was interrupted while an async upload ran; it is cancelled
     */
    @Override
    public String store(String key, Path file) throws IOException {
        long size = Files.size(file);
        try {
            if (asyncClient != null) {
                await(key, asyncClient.putObject(put(key, size), AsyncRequestBody.fromFile(file)));
            } else if (size > multipartThreshold) {
                multipart(key, file, size);
            } else {
                client.putObject(put(key, size), RequestBody.fromFile(file));
            }
        } catch (CompletionException e) {
            throw failure(key, e.getCause() == null ? e : e.getCause());
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        } catch (RuntimeException e) {
            // SdkException and anything a client's interceptor or content provider throws: the caller
            // handles one checked failure, and a multipart upload has been aborted by then.
            throw failure(key, e);
        }
        return location(key);
    }

    private String location(String key) {
        return "s3://" + bucket + "/" + key;
    }

    /**
     * Waits for an async request until it completes or the thread is interrupted; then cancels it (the SDK
     * closes its connection) and keeps the interrupt for the thread's owner. {@code join()} would wait for ever
     * on a server that never answers, whatever interrupts the thread: shutdown could not stop the upload.
     */
    private <T> T await(String key, CompletableFuture<T> request) throws InterruptedIOException {
        try {
            return request.get();
        } catch (InterruptedException e) {
            request.cancel(true);
            Thread.currentThread().interrupt();
            InterruptedIOException stopped = new InterruptedIOException("S3 upload of " + location(key)
                    + " cancelled: the profile thread was interrupted (the application is stopping)");
            stopped.initCause(e);
            throw stopped;
        } catch (ExecutionException e) {
            throw new CompletionException(e.getCause());
        }
    }

    /**
     * The failure of one upload, naming S3's reason when S3 gave one. A server that refuses the
     * credentials may answer and close the connection while the client is still sending the body; the
     * client then reports only "Broken pipe" or a reset and never reads the refusal (seen with a wrong
     * secret for 1–80 MiB files, retries on). So when no answer was read, S3 is asked once more with a
     * request that has no body and needs the same permission as the upload ({@code s3:PutObject}): a
     * multipart upload is created under the same key and aborted at once. It stores nothing.
     */
    private IOException failure(String key, Throwable e) {
        String what = "S3 upload of " + location(key) + " failed: ";
        AwsServiceException refusal = serviceRefusal(e);
        if (refusal != null && refusal.statusCode() == 412) {
            // If-None-Match: * failed: something is stored under the key, and S3 kept it.
            FileAlreadyExistsException taken = new FileAlreadyExistsException(location(key), null,
                    "a profile is already stored under " + key + " (S3 refused to replace it: " + describe(refusal) + ")");
            taken.initCause(e);
            return taken;
        }
        if (refusal != null) {
            return new IOException(what + "refused by S3: " + describe(refusal), e);
        }
        return new IOException(what + e.getMessage() + "; " + checkAfterFailure(key), e);
    }

    /** S3's own answer in {@code e}'s causes, or null when the client never read one. */
    private static AwsServiceException serviceRefusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AwsServiceException) {
                return (AwsServiceException) t;
            }
        }
        return null;
    }

    /** "SignatureDoesNotMatch (HTTP 403): ..." from what S3 answered. */
    private static String describe(AwsServiceException refusal) {
        AwsErrorDetails details = refusal.awsErrorDetails();
        String code = details == null || details.errorCode() == null ? "no error code" : details.errorCode();
        String message = details == null || details.errorMessage() == null ? refusal.getMessage() : details.errorMessage();
        return code + " (HTTP " + refusal.statusCode() + "): " + message;
    }

    private String checkAfterFailure(String key) {
        CreateMultipartUploadRequest create = CreateMultipartUploadRequest.builder().bucket(bucket).key(key).build();
        String uploadId;
        try {
            uploadId = client != null ? client.createMultipartUpload(create).uploadId()
                    : await(key, asyncClient.createMultipartUpload(create)).uploadId();
        } catch (InterruptedIOException e) {
            return "not asked again: " + e.getMessage();
        } catch (RuntimeException e) {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            AwsServiceException refusal = serviceRefusal(cause);
            return refusal != null ? "asked again without a body, S3 refused: " + describe(refusal)
                    : "asking S3 again without a body failed too: " + cause.getMessage();
        }
        AbortMultipartUploadRequest abort = AbortMultipartUploadRequest.builder().bucket(bucket).key(key)
                .uploadId(uploadId).build();
        String aborted = "";
        try {
            if (client != null) {
                client.abortMultipartUpload(abort);
            } else {
                await(key, asyncClient.abortMultipartUpload(abort));
            }
        } catch (IOException | RuntimeException e) {
            aborted = " (the check's empty multipart upload " + uploadId + " could not be aborted: " + e.getMessage() + ")";
        }
        return "asked again without a body, S3 accepted these credentials for this key, so the connection failed, "
                + "not the permissions" + aborted;
    }

    private PutObjectRequest put(String key, long size) {
        // If-None-Match: * also reaches the CompleteMultipartUpload of an async client's own multipart upload.
        PutObjectRequest.Builder b = PutObjectRequest.builder().bucket(bucket).key(key).contentLength(size)
                .contentType("application/octet-stream").ifNoneMatch("*");
        if (sse != null) {
            b.serverSideEncryption(sse);
        }
        if (kmsKeyId != null) {
            b.ssekmsKeyId(kmsKeyId);
        }
        if (storageClass != null) {
            b.storageClass(storageClass);
        }
        return b.build();
    }

    private void multipart(String key, Path file, long size) {
        CreateMultipartUploadRequest.Builder create = CreateMultipartUploadRequest.builder().bucket(bucket).key(key)
                .contentType("application/octet-stream");
        if (sse != null) {
            create.serverSideEncryption(sse);
        }
        if (kmsKeyId != null) {
            create.ssekmsKeyId(kmsKeyId);
        }
        if (storageClass != null) {
            create.storageClass(storageClass);
        }
        String uploadId = client.createMultipartUpload(create.build()).uploadId();
        try {
            List<CompletedPart> parts = new ArrayList<>();
            int number = 1;
            for (long offset = 0; offset < size; offset += partSize, number++) {
                long length = Math.min(partSize, size - offset);
                long from = offset;
                String etag;
                try (PartStreams streams = new PartStreams(slices, file, from, length)) {
                    etag = client.uploadPart(UploadPartRequest.builder().bucket(bucket).key(key).uploadId(uploadId)
                            .partNumber(number).contentLength(length).build(),
                            RequestBody.fromContentProvider(streams, length, "application/octet-stream")).eTag();
                }
                parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
            }
            client.completeMultipartUpload(CompleteMultipartUploadRequest.builder().bucket(bucket).key(key)
                    .uploadId(uploadId).multipartUpload(CompletedMultipartUpload.builder().parts(parts).build())
                    .ifNoneMatch("*").build()); // a 412 here is aborted below, like any failure
        } catch (RuntimeException e) {
            try {
                client.abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(bucket).key(key)
                        .uploadId(uploadId).build());
            } catch (RuntimeException abortFailure) {
                e.addSuppressed(abortFailure);
            }
            throw e;
        }
    }

    /**
     * One part's body: a fresh stream over its slice of the file for every attempt the SDK makes. The SDK
     * (2.57.8) closes the stream of an attempt that succeeds but not that of an attempt it retries (seen
     * with a connection reset mid-body): each new stream closes the one before it, and {@link #close()} the
     * last, so no file descriptor outlives the part (the SDK's own
     * {@code ContentStreamProvider.fromInputStreamSupplier} closes the previous stream the same way, but
     * never the last). Nothing is read ahead: the SDK pulls the bytes from the file as it sends them. Used
     * by the profile thread only.
     */
    private static final class PartStreams implements ContentStreamProvider, Closeable {
        private final Slices slices;
        private final Path file;
        private final long from;
        private final long length;
        private InputStream current;

        PartStreams(Slices slices, Path file, long from, long length) {
            this.slices = slices;
            this.file = file;
            this.from = from;
            this.length = length;
        }

        @Override
        public InputStream newStream() {
            close();
            try {
                current = slices.open(file, from, length);
                return current;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            InputStream previous = current;
            current = null;
            if (previous != null) {
                try {
                    previous.close();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e); // a RuntimeException: the upload is aborted
                }
            }
        }
    }

    /** Opens a stream over {@code [from, from + length)} of a file; tests count what is opened and closed. */
    @FunctionalInterface
    interface Slices {
        InputStream open(Path file, long from, long length) throws IOException;
    }

    /** A fresh stream over {@code [from, from + length)} of the file; the SDK may ask again on retry. */
    static InputStream fileSlice(Path file, long from, long length) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            ch.position(from);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new FilterInputStream(Channels.newInputStream(ch)) {
            private long left = length;

            @Override
            public int read() throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int b = super.read();
                if (b >= 0) {
                    left--;
                }
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int n = super.read(buf, off, (int) Math.min(len, left));
                if (n > 0) {
                    left -= n;
                }
                return n;
            }
        };
    }

    @Override
    public String toString() {
        return "S3ProfileStore[s3://" + bucket + "]";
    }

    /** Settings of an {@link S3ProfileStore}; {@link #build()} names any bad one. */
    public static final class Builder {
        private S3Client client;
        private S3AsyncClient asyncClient;
        private String bucket;
        private ServerSideEncryption sse;
        private String kmsKeyId;
        private StorageClass storageClass;
        private long multipartThreshold = 64L << 20;
        private long partSize = 16L << 20;
        private Slices slices = S3ProfileStore::fileSlice;

        private Builder() {
        }

        /** Where part streams come from; for tests that count opened and closed streams. */
        Builder slices(Slices slices) {
            this.slices = slices;
            return this;
        }

        /** The synchronous client (uploads large files in parts itself). */
        public Builder client(S3Client client) {
            this.client = client;
            return this;
        }

        /** The asynchronous client (configure multipart on it). */
        public Builder asyncClient(S3AsyncClient asyncClient) {
            this.asyncClient = asyncClient;
            return this;
        }

        /** The bucket; required. Give it a lifecycle rule to expire old profiles. */
        public Builder bucket(String bucket) {
            this.bucket = bucket;
            return this;
        }

        /** Server-side encryption, e.g. {@code AES256} or {@code AWS_KMS}; default: the bucket's. */
        public Builder serverSideEncryption(ServerSideEncryption sse) {
            this.sse = sse;
            return this;
        }

        /** The KMS key for {@code AWS_KMS} encryption; default: the account's S3 key. */
        public Builder kmsKeyId(String kmsKeyId) {
            this.kmsKeyId = kmsKeyId;
            return this;
        }

        /** The storage class, e.g. {@code STANDARD_IA}; default: the bucket's. */
        public Builder storageClass(StorageClass storageClass) {
            this.storageClass = storageClass;
            return this;
        }

        /** Files larger than this go multipart (sync client). Default 64 MiB; at least 5 MiB. */
        public Builder multipartThresholdBytes(long bytes) {
            this.multipartThreshold = bytes;
            return this;
        }

        /** Size of each part (sync client). Default 16 MiB; at least 5 MiB (S3's minimum). */
        public Builder partSizeBytes(long bytes) {
            this.partSize = bytes;
            return this;
        }

        /**
         * Validates the settings.
         *
         * @throws IllegalArgumentException naming every bad setting
         */
        public S3ProfileStore build() {
            List<String> problems = new ArrayList<>();
            if (bucket == null || bucket.isBlank()) {
                problems.add("bucket must be set and not empty");
            }
            if ((client == null) == (asyncClient == null)) {
                problems.add("exactly one of client or asyncClient must be set");
            }
            if (multipartThreshold < (5L << 20)) {
                problems.add("multipartThresholdBytes must be at least 5 MiB, was " + multipartThreshold);
            }
            if (partSize < (5L << 20)) {
                problems.add("partSizeBytes must be at least 5 MiB (S3's minimum part), was " + partSize);
            }
            if (kmsKeyId != null && sse != ServerSideEncryption.AWS_KMS && sse != ServerSideEncryption.AWS_KMS_DSSE) {
                problems.add("kmsKeyId needs serverSideEncryption AWS_KMS or AWS_KMS_DSSE");
            }
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException("invalid S3ProfileStore settings: " + String.join("; ", problems));
            }
            return new S3ProfileStore(this);
        }
    }
}
