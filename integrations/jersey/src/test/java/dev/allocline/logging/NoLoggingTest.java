package dev.allocline.logging;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.jersey.AllocLineFeature;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Neither Log4j2 nor SLF4J reaches an appender: the Feature refuses to start rather than drop every line. */
@Tag("no-logging")
class NoLoggingTest {

    @Test
    void theDefaultSinkFailsAtBuildNamingTheSettingAndTheFix() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AllocLineFeature.builder().build());
        System.out.println("no logging: " + e.getMessage());
        assertTrue(e.getMessage().contains("defaultSink"), e.getMessage());
        assertTrue(e.getMessage().contains("logback-classic") && e.getMessage().contains("log4j-core"), e.getMessage());
    }

    @Test
    void withOwnSinksAndNoDefaultItBuilds() {
        AllocLineFeature.builder().defaultSink(false).sink(line -> { }).build();
    }
}
