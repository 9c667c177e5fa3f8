package dev.allocline.dropwizard;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dropwizard.testing.DropwizardTestSupport;
import io.dropwizard.testing.ResourceHelpers;
import org.junit.jupiter.api.Test;

/**
 * A bad value in the {@code allocline:} block is refused by Dropwizard's own configuration validation at
 * start-up, naming the field, before the service serves anything. (Its own class: a failed start resets
 * Dropwizard's logging, which the other test reads.)
 */
class AllocLineConfigValidationTest {

    @Test
    void aBadAlloclineValueIsRefusedAtStartUpNamingIt() {
        DropwizardTestSupport<ClustersService.Config> bad = new DropwizardTestSupport<>(ClustersService.class,
                ResourceHelpers.resourceFilePath("allocline-bad.yml"));
        Exception e = assertThrows(Exception.class, bad::before);
        bad.after();
        String all = String.valueOf(e) + String.valueOf(e.getCause());
        assertTrue(all.contains("allocline.requestIdHeader must be an HTTP header name"), all);
    }

    static String startFailure(String yml) {
        DropwizardTestSupport<ClustersService.Config> bad = new DropwizardTestSupport<>(ClustersService.class,
                ResourceHelpers.resourceFilePath(yml));
        Exception e = assertThrows(Exception.class, bad::before);
        bad.after();
        return String.valueOf(e) + String.valueOf(e.getCause());
    }

    @Test
    void profilesGoToOnePlaceNotADirectoryAndS3() {
        String all = startFailure("allocline-two-stores.yml");
        assertTrue(all.contains("profileDirectory and profileS3 are both set"), all);
    }

    @Test
    void anS3BlockWithoutABucketIsRefusedNamingIt() {
        String all = startFailure("allocline-no-store.yml");
        assertTrue(all.contains("allocline.profileS3.bucket must not be empty"), all);
    }
}
