package dev.allocline.quarkus.runtime;

import dev.allocline.profile.ProfileStore;
import dev.allocline.profile.S3ProfileStore;
import software.amazon.awssdk.services.s3.S3Client;

/** Loaded only when {@code profile.s3-bucket} is set, so the AWS SDK stays optional. */
final class S3Stores {

    private S3Stores() {
    }

    static ProfileStore of(Object client, String bucket) {
        return S3ProfileStore.builder().client((S3Client) client).bucket(bucket).build();
    }
}
