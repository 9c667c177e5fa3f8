package dev.allocline.dropwizard;

import dev.allocline.profile.ProfileStore;
import dev.allocline.profile.S3ProfileStore;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * Builds the S3 client and store of an {@code allocline.profileS3:} block. Its own class so that the AWS
 * SDK is loaded only when the block is there. Called once, on Dropwizard's start-up thread.
 */
final class S3Profiles {

    static final String SDK_CLASS = "software.amazon.awssdk.services.s3.S3Client";

    /** A store and the client it uses, which the service's lifecycle closes. */
    record Built(ProfileStore store, AutoCloseable client) {
    }

    private S3Profiles() {
    }

    static boolean sdkPresent() {
        try {
            Class.forName(SDK_CLASS, false, S3Profiles.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    static Built build(S3ProfileFactory conf) {
        S3ClientBuilder builder = S3Client.builder()
                .forcePathStyle(conf.isPathStyleAccess())
                .overrideConfiguration(o -> o.apiCallTimeout(conf.getApiCallTimeout().toJavaDuration()));
        if (conf.getRegion() != null) {
            builder.region(Region.of(conf.getRegion()));
        }
        if (conf.getEndpoint() != null) {
            builder.endpointOverride(conf.getEndpoint());
        }
        S3Client client = builder.build();
        try {
            S3ProfileStore.Builder store = S3ProfileStore.builder().client(client).bucket(conf.getBucket());
            if (conf.getKmsKeyId() != null) {
                store.serverSideEncryption(ServerSideEncryption.AWS_KMS).kmsKeyId(conf.getKmsKeyId());
            }
            return new Built(store.build(), client);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }
}
