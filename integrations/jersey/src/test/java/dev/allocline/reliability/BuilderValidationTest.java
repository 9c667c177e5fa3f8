package dev.allocline.reliability;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.profile.LocalDirectoryProfileStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every setting with a bad value fails in {@code build()}, and the message names the setting. */
class BuilderValidationTest {

    static final LocalDirectoryProfileStore STORE = new LocalDirectoryProfileStore(Path.of("target/never"));

    static Stream<Arguments> badSettings() {
        return Stream.of(
                bad("sink", b -> b.sink(null)),
                bad("processAllocationSampleInterval", b -> b.processAllocationSampleInterval(null)),
                bad("processAllocationSampleInterval", b -> b.processAllocationSampleInterval(Duration.ZERO)),
                bad("processAllocationSampleInterval", b -> b.processAllocationSampleInterval(Duration.ofMillis(-1))),
                bad("failureLogPeriod", b -> b.failureLogPeriod(null)),
                bad("failureLogPeriod", b -> b.failureLogPeriod(Duration.ofSeconds(-1))),
                bad("profileThresholdBytes", b -> b.profileThresholdBytes(-1).profileStore(STORE)),
                bad("profileStore", b -> b.profileThresholdBytes(1)),
                bad("profileCooldown", b -> b.profileCooldown(null)),
                bad("profileCooldown", b -> b.profileCooldown(Duration.ofSeconds(-5))),
                bad("environment", b -> b.environment(null)),
                bad("environment", b -> b.environment("")),
                bad("environment", b -> b.environment("prod/../x")),
                bad("environment", b -> b.environment("a b")),
                bad("profileKind", b -> b.profileKind(null)),
                bad("profileTempDirectory", b -> b.profileTempDirectory(null)),
                bad("profileMaxDiskBytes", b -> b.profileMaxDiskBytes(0)),
                bad("profileMaxDiskBytes", b -> b.profileMaxDiskBytes(-1)),
                bad("jfrThrottle", b -> b.jfrThrottle(null)),
                bad("jfrThrottle", b -> b.jfrThrottle("often")),
                bad("jfrRetention maxAge", b -> b.jfrRetention(Duration.ZERO, 1)),
                bad("jfrRetention maxAge", b -> b.jfrRetention(null, 1)),
                bad("jfrRetention maxSizeBytes", b -> b.jfrRetention(Duration.ofMinutes(1), 0)),
                bad("shutdownTimeout", b -> b.shutdownTimeout(null)),
                bad("shutdownTimeout", b -> b.shutdownTimeout(Duration.ofSeconds(-1))),
                bad("applicationPackages", b -> b.applicationPackages((String[]) null)),
                bad("applicationPackages", b -> b.applicationPackages("com.example.", null)),
                bad("applicationPackages", b -> b.applicationPackages("com.example.", " ")));
    }

    private static Arguments bad(String setting, UnaryOperator<AllocLineFeature.Builder> change) {
        return Arguments.of(setting, change);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSettings")
    void badValueFailsInBuildNamingTheSetting(String setting, UnaryOperator<AllocLineFeature.Builder> change) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> change.apply(AllocLineFeature.builder()).build());
        assertTrue(e.getMessage().contains(setting), () -> "message names " + setting + ": " + e.getMessage());
    }

    @ParameterizedTest(name = "every error is reported at once")
    @MethodSource("badSettings")
    void severalBadValuesAreAllNamed(String setting, UnaryOperator<AllocLineFeature.Builder> change) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> change.apply(AllocLineFeature.builder().failureLogPeriod(Duration.ofSeconds(-1))).build());
        assertTrue(e.getMessage().contains(setting) && e.getMessage().contains("failureLogPeriod"), e.getMessage());
    }
}
