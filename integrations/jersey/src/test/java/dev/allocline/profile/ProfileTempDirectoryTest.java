package dev.allocline.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.allocline.internal.profile.PrivateDirectory;
import dev.allocline.internal.profile.ProfileTrigger;
import dev.allocline.jersey.AllocLineFeature;
import dev.allocline.line.CanonicalLine;
import dev.allocline.testing.CapturedLog;
import dev.allocline.testing.Eventually;
import dev.allocline.testing.InProcess;
import dev.allocline.testing.LineCollector;
import dev.allocline.testing.ProfiledApi;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.message.MapMessage;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Profiles hold what the application allocated (a heap dump holds every secret in the heap): the directory
 * they are written to before upload is this user's alone, and one another local user prepared is refused.
 */
class ProfileTempDirectoryTest {

    static final long THRESHOLD = 8L << 20;
    static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    /** Sends one overrun and returns its profile_generated_line's fields. */
    private static Map<String, Object> overrun(AllocLineFeature.Builder feature) {
        LineCollector lines = new LineCollector();
        InProcess app = new InProcess(new ResourceConfig(ProfiledApi.class).register(feature.defaultSink(false)
                .sink(lines).profileThresholdBytes(THRESHOLD).environment("tmpdir").build()));
        try (CapturedLog log = CapturedLog.of(ProfileTrigger.PROFILE_LOGGER)) {
            assertEquals(200, app.send("GET", "/profiled/overrun/16"));
            CanonicalLine line = lines.next();
            String key = line.profileKey().orElseThrow(() -> new AssertionError("no profile: " + line));
            Eventually.within(60_000, "the profile line of " + key, () -> !profileLines(log).isEmpty());
            Map<String, Object> f = profileLines(log).get(0);
            assertEquals(key, f.get("profile_key"));
            return f;
        }
    }

    private static List<Map<String, Object>> profileLines(CapturedLog log) {
        return log.events().stream().map(LogEvent::getMessage)
                .filter(m -> m instanceof MapMessage && m.getFormattedMessage().startsWith("profile_generated_line"))
                .map(m -> Map.<String, Object>copyOf(((MapMessage<?, ?>) m).getData())).toList();
    }

    private static String permissions(Path p) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theDirectoryIsCreatedOwnerOnlyAndSoIsTheProfileFile(@TempDir Path tmp) {
        assumeTrue(POSIX, "POSIX permissions");
        Path work = tmp.resolve("work");
        List<String> seen = new CopyOnWriteArrayList<>();
        Map<String, Object> f = overrun(AllocLineFeature.builder().profileTempDirectory(work).profileStore((key, file) -> {
            seen.add(permissions(file.getParent()) + " " + permissions(file));
            return "seen://" + key;
        }));
        assertEquals(true, f.get("stored"), f::toString);
        // the profile and what is derived from it (request recording, flame graph): every one owner-only
        assertFalse(seen.isEmpty(), "the store was called");
        assertTrue(seen.stream().allMatch("rwx------ rw-------"::equals), () -> "directory and files, as the store saw them: " + seen);
    }

    @Test
    void aLooseDirectoryOfThisUsersIsMadeOwnerOnly(@TempDir Path tmp) throws IOException {
        assumeTrue(POSIX, "POSIX permissions");
        Path work = Files.createDirectory(tmp.resolve("work"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxrwxrwx")); // past the umask
        Map<String, Object> f = overrun(AllocLineFeature.builder().profileTempDirectory(work)
                .profileStore(new LocalDirectoryProfileStore(tmp.resolve("store"))));
        assertEquals(true, f.get("stored"), f::toString);
        assertEquals("rwx------", permissions(work));
    }

    @Test
    void aSymbolicLinkIsRefusedAtBuildNamingTheSetting(@TempDir Path tmp) throws IOException {
        Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
        Path link = Files.createSymbolicLink(tmp.resolve("work"), elsewhere);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AllocLineFeature.builder()
                .profileThresholdBytes(THRESHOLD).profileStore((k, file) -> "never://" + k).profileTempDirectory(link)
                .build());
        assertTrue(e.getMessage().contains("profileTempDirectory") && e.getMessage().contains("symbolic link"),
                e.getMessage());
    }

    @Test
    void aDirectorySwappedForASymbolicLinkLaterIsRefusedAtCapture(@TempDir Path tmp) throws IOException {
        Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
        Path work = tmp.resolve("work");
        AllocLineFeature.Builder feature = AllocLineFeature.builder().profileTempDirectory(work)
                .profileStore(new LocalDirectoryProfileStore(tmp.resolve("store")));
        LineCollector lines = new LineCollector();
        InProcess app = new InProcess(new ResourceConfig(ProfiledApi.class).register(feature.defaultSink(false)
                .sink(lines).profileThresholdBytes(THRESHOLD).environment("tmpdir").build()));
        Files.createSymbolicLink(work, elsewhere); // after build: another user wins the race for the name
        try (CapturedLog log = CapturedLog.of(ProfileTrigger.PROFILE_LOGGER)) {
            assertEquals(200, app.send("GET", "/profiled/overrun/16"));
            assertTrue(lines.next().profileKey().isPresent());
            Eventually.within(60_000, "the profile line", () -> !profileLines(log).isEmpty());
            Map<String, Object> f = profileLines(log).get(0);
            assertEquals(false, f.get("stored"), f::toString);
            assertEquals("capture_failed", f.get("reason"), f::toString);
            assertTrue(String.valueOf(f.get("detail")).contains("profileTempDirectory"), f::toString);
        }
        try (Stream<Path> s = Files.list(elsewhere)) {
            assertEquals(List.of(), s.toList(), "nothing was written through the link");
        }
        assertFalse(Files.exists(tmp.resolve("store")), "nothing was stored");
    }

    /** Needs a second user to own the directory: runs where the tests may change owners (as root). */
    @Test
    void aDirectoryOwnedByAnotherUserIsRefusedNamingTheSetting(@TempDir Path tmp) throws IOException {
        Path work = Files.createDirectory(tmp.resolve("work"));
        UserPrincipal nobody;
        try {
            nobody = work.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
            Files.setOwner(work, nobody);
        } catch (IOException | UnsupportedOperationException e) {
            assumeTrue(false, "cannot give a directory to another user here: " + e);
            return;
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AllocLineFeature.builder()
                .profileThresholdBytes(THRESHOLD).profileStore((k, file) -> "never://" + k).profileTempDirectory(work)
                .build());
        assertTrue(e.getMessage().contains("profileTempDirectory") && e.getMessage().contains("owned by nobody"),
                e.getMessage());
    }
    /**
     * Runs {@code body} with {@code user.name} set to {@code name}, as {@code -Duser.name=...} or a container
     * with a random UID (whose {@code user.name} is {@code ?}) leaves it; the JVM's real user is unchanged.
     */
    private static void withUserName(String name, ThrowingRunnable body) throws Exception {
        String real = System.getProperty("user.name");
        System.setProperty("user.name", name);
        try {
            body.run();
        } finally {
            System.setProperty("user.name", real);
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** A directory given to {@code nobody}; the test is skipped where owners cannot be changed (not root). */
    private static Path ownedByNobody(Path tmp) throws IOException {
        Path work = Files.createDirectory(tmp.resolve("work"));
        try {
            Files.setOwner(work, work.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
            Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxrwxrwx"));
        } catch (IOException | UnsupportedOperationException e) {
            assumeTrue(false, "cannot give a directory to another user here: " + e);
        }
        return work;
    }

    private static IllegalArgumentException refusedAtBuild(Path work) {
        return assertThrows(IllegalArgumentException.class, () -> AllocLineFeature.builder()
                .profileThresholdBytes(THRESHOLD).profileStore((k, file) -> "never://" + k).profileTempDirectory(work)
                .build());
    }

    /**
     * A container with a random UID has no passwd entry for it: {@code user.name} is {@code ?}, which names no
     * user. The owner check must still refuse another user's directory (it compared names, and with no name for
     * this JVM's user it let every directory pass).
     */
    @Test
    void anotherUsersDirectoryIsRefusedWhenUserNameNamesNoUser(@TempDir Path tmp) throws Exception {
        Path work = ownedByNobody(tmp);
        withUserName("?", () -> {
            IllegalArgumentException e = refusedAtBuild(work);
            assertTrue(e.getMessage().contains("profileTempDirectory") && e.getMessage().contains("owned by nobody"),
                    e.getMessage());
        });
    }

    /** {@code -Duser.name=nobody} does not make nobody's directory this JVM's. */
    @Test
    void anotherUsersDirectoryIsRefusedWhenUserNameIsOverriddenToItsOwner(@TempDir Path tmp) throws Exception {
        Path work = ownedByNobody(tmp);
        withUserName("nobody", () -> {
            IllegalArgumentException e = refusedAtBuild(work);
            assertTrue(e.getMessage().contains("owned by nobody"), e.getMessage());
        });
        // and at capture, where the name can have changed since the build
        withUserName("nobody", () -> {
            IOException e = assertThrows(IOException.class, () -> PrivateDirectory.prepare(work));
            assertTrue(e.getMessage().contains("owned by nobody"), e.getMessage());
        });
    }

    /** {@code user.name} naming another existing user does not make this JVM's own directory look foreign. */
    @Test
    void anOwnDirectoryIsAcceptedWhateverUserNameSays(@TempDir Path tmp) throws Exception {
        Path work = Files.createDirectory(tmp.resolve("work"));
        String me = Files.getOwner(work, LinkOption.NOFOLLOW_LINKS).getName();
        String someoneElse = me.equals("root") ? "nobody" : "root";
        withUserName(someoneElse, () -> {
            assertEquals(null, PrivateDirectory.problem(work), "an own directory has no problem");
            assertEquals(work, PrivateDirectory.prepare(work));
        });
    }

    /**
     * Where no file can be created in the directory, no owner can be established for this JVM: said once (not at
     * every check), naming the setting. Nothing can be written there either, so no profile reaches it.
     */
    @Test
    void aDirectoryWhereNoOwnerCanBeEstablishedIsWarnedAboutOnce() throws Exception {
        Path proc = Path.of("/proc/self/fdinfo");
        assumeTrue(Files.isDirectory(proc) && POSIX, "needs Linux's /proc, where no file can be created");
        try (CapturedLog log = CapturedLog.of("dev.allocline")) {
            for (int i = 0; i < 3; i++) {
                PrivateDirectory.problem(proc);
            }
            List<String> warnings = log.events().stream().map(e -> e.getMessage().getFormattedMessage())
                    .filter(m -> m.contains(proc.toString())).toList();
            assertEquals(1, warnings.size(), () -> "warnings: " + warnings);
            assertTrue(warnings.get(0).contains("profileTempDirectory") && warnings.get(0).contains("owner"),
                    warnings.get(0));
        }
    }
}
