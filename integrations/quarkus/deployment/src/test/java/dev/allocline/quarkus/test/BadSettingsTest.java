package dev.allocline.quarkus.test;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.quarkus.test.QuarkusUnitTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A bad setting stops the start, and the message names the property to fix. */
class BadSettingsTest {

    @RegisterExtension
    static final QuarkusUnitTest APP = new QuarkusUnitTest()
            .withApplicationRoot(jar -> jar.addClasses(Allocating.class, Allocating.Allocation.class,
                    Allocating.Conflict.class, Allocating.ConflictMapper.class, Allocating.AllocationWriter.class))
            .overrideConfigKey("quarkus.allocline.request-id-header", "X Request Id")
            .overrideConfigKey("quarkus.allocline.profile.threshold", "1G")
            .assertException(t -> {
                String all = messages(t);
                assertTrue(all.contains("quarkus.allocline.request-id-header must be an HTTP header name"), all);
                assertTrue(all.contains("quarkus.allocline.profile.directory or quarkus.allocline.profile.s3-bucket must be "
                        + "set when quarkus.allocline.profile.threshold is set"), all);
            });

    static String messages(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c).append('\n');
        }
        return sb.toString();
    }

    @Test
    void theStartFailsNamingEachBadProperty() {
        fail("the application must not start");
    }
}
