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
}
