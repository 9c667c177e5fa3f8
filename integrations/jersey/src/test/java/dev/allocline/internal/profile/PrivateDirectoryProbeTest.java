package dev.allocline.internal.profile;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The owner check reads the owner of a file it has just created, by name; the owner of a directory prepared by
 * someone else can put a file of their own under that name in between. Such a probe must not prove the
 * directory this JVM's.
 */
class PrivateDirectoryProbeTest {

    @AfterEach
    void noSeam() {
        PrivateDirectory.afterProbe = null;
    }

    /** Needs a second user (runs where the tests may change owners, as root). */
    @Test
    void aProbeReplacedByTheDirectorysOwnerIsRefused(@TempDir Path tmp) throws IOException {
        Path work = Files.createDirectory(tmp.resolve("work"));
        UserPrincipal nobody;
        try {
            nobody = work.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
            Files.setOwner(work, nobody);
            Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxrwxrwx"));
        } catch (IOException | UnsupportedOperationException e) {
            assumeTrue(false, "cannot give a directory to another user here: " + e);
            return;
        }
        UserPrincipal owner = nobody;
        // What the directory's owner can do with an inotify watch: swap the new probe for a file of theirs.
        PrivateDirectory.afterProbe = probe -> {
            try {
                Files.delete(probe);
                Files.createFile(probe);
                Files.setOwner(probe, owner);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        String problem = PrivateDirectory.problem(work);
        assertNotNull(problem, "the directory of nobody was taken for this JVM's");
        assertTrue(problem.contains("profileTempDirectory") && problem.contains("uid"), problem);
    }
}
