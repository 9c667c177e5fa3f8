package dev.allocline.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allocline.internal.profile.ProfileTrigger;
import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.line.CanonicalLine;
import dev.allocline.testing.CapturedLog;
import dev.allocline.testing.Eventually;
import dev.allocline.testing.InProcess;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.ProfiledApi;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.message.MapMessage;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every profile_key on a canonical line has exactly one profile_generated_line, whatever became of the capture. */
class ProfileKeyContractTest {

    static final long THRESHOLD = 8L << 20;

    private static Map<String, Object> onlyProfileLineFor(CapturedLog log, String key) {
        Eventually.within(60_000, "a profile_generated_line for " + key, () -> !linesFor(log, key).isEmpty());
        List<Map<String, Object>> found = linesFor(log, key);
        assertEquals(1, found.size(), () -> "profile lines for " + key + ": " + found);
        return found.get(0);
    }

    private static List<Map<String, Object>> linesFor(CapturedLog log, String key) {
        return log.events().stream().map(LogEvent::getMessage)
                .filter(m -> m instanceof MapMessage && m.getFormattedMessage().startsWith("profile_generated_line"))
                .map(m -> Map.<String, Object>copyOf(((MapMessage<?, ?>) m).getData()))
                .filter(f -> key.equals(f.get("profile_key"))).collect(Collectors.toList());
    }

    private static CanonicalLine overrun(LineCollector lines, AllocLineFeature.Builder feature) {
        InProcess app = new InProcess(new ResourceConfig(ProfiledApi.class)
                .register(feature.defaultSink(false).sink(lines).profileThresholdBytes(THRESHOLD).environment("contract").build()));
        assertEquals(200, app.send("GET", "/profiled/overrun/16"));
        CanonicalLine line = lines.next();
        assertTrue(line.profileKey().isPresent(), line::toString);
        return line;
    }

    /**
     * With a trusted request-id header the id is the client's: a client that knows an incident's id must not
     * be able to replace its profile, and two requests with one id must still get one profile line per key.
     */
    @Test
    void twoRequestsWithOneClientChosenIdGetTwoKeysAndNeitherProfileIsReplaced(@TempDir Path tmp) throws IOException {
        LineCollector lines = new LineCollector();
        Path store = tmp.resolve("store");
        InProcess app = new InProcess(new ResourceConfig(ProfiledApi.class).register(AllocLineFeature.builder()
                .defaultSink(false).sink(lines).profileThresholdBytes(THRESHOLD).environment("contract")
                .requestIdHeader("X-Request-Id").profileCooldown(Duration.ZERO)
                .profileStore(new LocalDirectoryProfileStore(store)).profileTempDirectory(tmp.resolve("work")).build()));
        try (CapturedLog log = CapturedLog.of(ProfileTrigger.PROFILE_LOGGER)) {
            List<String> keys = new java.util.ArrayList<>();
            for (int i = 0; i < 2; i++) {
                assertEquals(200, app.send("GET", "/profiled/overrun/16", "X-Request-Id", "incident-1"));
                CanonicalLine line = lines.next();
                assertEquals("incident-1", line.requestId());
                String key = line.profileKey().orElseThrow(() -> new AssertionError("no profile: " + line));
                assertTrue(key.matches("contract/profiles/incident-1-[0-9a-f]{16}\\.jfr"), key);
                Map<String, Object> f = onlyProfileLineFor(log, key); // the capture is done: the next may start
                assertEquals(true, f.get("stored"), f::toString);
                assertEquals("incident-1", f.get("request_id"), "the id stays a field of the profile line");
                keys.add(key);
            }
            assertNotEquals(keys.get(0), keys.get(1), "a repeated id gets a new key");
            for (String key : keys) {
                assertTrue(Files.isRegularFile(store.resolve(key)), key + " is still stored");
            }
        }
    }

    @Test
    void aDiskBudgetSkipStillAnswersTheKey(@TempDir Path tmp) {
        try (CapturedLog log = CapturedLog.of(ProfileTrigger.PROFILE_LOGGER)) {
            CanonicalLine line = overrun(new LineCollector(), AllocLineFeature.builder()
                    .profileStore((k, f) -> "never://" + k).profileTempDirectory(tmp).profileMaxDiskBytes(1024));
            Map<String, Object> f = onlyProfileLineFor(log, line.profileKey().get());
            assertEquals(false, f.get("stored"));
            assertEquals("disk_budget", f.get("reason"));
            assertTrue(String.valueOf(f.get("detail")).contains("1024"), f::toString);
        }
    }

    @Test
    void aFailedCaptureStillAnswersTheKey(@TempDir Path tmp) throws IOException {
        Path notADirectory = Files.writeString(tmp.resolve("file"), "x").resolve("work");
        try (CapturedLog log = CapturedLog.of(ProfileTrigger.PROFILE_LOGGER)) {
            CanonicalLine line = overrun(new LineCollector(), AllocLineFeature.builder()
                    .profileStore((k, f) -> "never://" + k).profileTempDirectory(notADirectory));
            Map<String, Object> f = onlyProfileLineFor(log, line.profileKey().get());
            assertEquals(false, f.get("stored"));
            assertEquals("capture_failed", f.get("reason"));
        }
    }

    @Test
    void aFailedStoreStillAnswersTheKey(@TempDir Path tmp) {
        try (CapturedLog log = CapturedLog.of(ProfileTrigger.PROFILE_LOGGER)) {
            CanonicalLine line = overrun(new LineCollector(), AllocLineFeature.builder().profileTempDirectory(tmp)
                    .profileStore((k, f) -> {
                        throw new IOException("bucket is gone");
                    }));
            Map<String, Object> f = onlyProfileLineFor(log, line.profileKey().get());
            assertEquals(false, f.get("stored"));
            assertEquals("store_failed", f.get("reason"));
            assertTrue(String.valueOf(f.get("detail")).contains("bucket is gone"), f::toString);
        }
    }

    @Test
    void theApplicationsPackagesNameTheAppSite(@TempDir Path tmp) {
        try (CapturedLog log = CapturedLog.of(ProfileTrigger.PROFILE_LOGGER)) {
            // The test resource lives in dev.allocline.testing: named as the application, its frame is the
            // app site even though the library's own packages start with dev.allocline as well.
            CanonicalLine line = overrun(new LineCollector(), AllocLineFeature.builder()
                    .profileStore(new LocalDirectoryProfileStore(tmp.resolve("store")))
                    .profileTempDirectory(tmp.resolve("work")).applicationPackages("dev.allocline.testing."));
            Map<String, Object> f = onlyProfileLineFor(log, line.profileKey().get());
            assertEquals(true, f.get("stored"), f::toString);
            assertTrue(String.valueOf(f.get("app_site_1")).startsWith("dev.allocline.testing.ProfiledApi.overrun"),
                    f::toString);
        }
    }
}
