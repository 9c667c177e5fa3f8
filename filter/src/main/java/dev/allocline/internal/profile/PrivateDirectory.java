package dev.allocline.internal.profile;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;

/**
 * The profile temp directory ({@code profileTempDirectory}) made safe to write profiles into: this user's
 * alone. A profile holds what the application allocated (a heap dump every secret in the heap), and the
 * default directory is a fixed name in the shared temp directory, where another local user can create it
 * first, or put a symbolic link there, and then read or swap dumps before they are uploaded. So the
 * directory is created {@code rwx------}, a symbolic link or a directory owned by someone else is refused,
 * an own directory with looser permissions is tightened, and files are created {@code rw-------}. Checked
 * with {@code NOFOLLOW_LINKS} before every capture, not only at build: the name can change in between.
 * Where the file system has no POSIX permissions only the link and owner checks apply. Not API.
 */
public final class PrivateDirectory {

    /** What the library sets, named the way the user sets it. */
    static final String SETTING = "profileTempDirectory";

    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");

    private PrivateDirectory() {
    }

    /**
     * What is wrong with {@code dir} as it is now, or null when nothing is (also when it does not exist yet:
     * it is then created owner-only at the first capture). For {@code build()}: it names the setting.
     */
    public static String problem(Path dir) {
        BasicFileAttributes a;
        try {
            a = readNoFollow(dir);
        } catch (IOException e) {
            return null; // missing, or unreadable now: the capture creates it or fails saying why
        }
        try {
            check(dir, a);
            return null;
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    /**
     * {@code dir}, created owner-only if missing (its missing parents with default permissions), checked,
     * and tightened to owner-only if this user's with looser permissions.
     *
     * @throws IOException naming {@code profileTempDirectory} when it is a link, not a directory, or another user's
     */
    public static Path prepare(Path dir) throws IOException {
        try {
            return prepareChecked(dir);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(SETTING + " ")) {
                throw e;
            }
            throw new IOException(SETTING + " " + dir + " cannot be used: " + e, e);
        }
    }

    private static Path prepareChecked(Path dir) throws IOException {
        BasicFileAttributes a;
        try {
            a = readNoFollow(dir);
        } catch (NoSuchFileException e) {
            Path parent = dir.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                if (posix(dir)) {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
                } else {
                    Files.createDirectory(dir);
                }
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // made by someone else in between: checked below like any existing one
            }
            a = readNoFollow(dir);
        }
        check(dir, a);
        if (posix(dir) && !Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS).equals(OWNER_ONLY_DIR)) {
            Files.setPosixFilePermissions(dir, OWNER_ONLY_DIR); // ours (checked above): a umask or an older version
        }
        return dir;
    }

    /** A new, empty file in the prepared {@code dir} that only this user can read or write. */
    public static Path newFile(Path dir, String prefix, String suffix) throws IOException {
        if (posix(dir)) {
            return Files.createTempFile(dir, prefix, suffix, ownerOnlyFile());
        }
        return Files.createTempFile(dir, prefix, suffix);
    }

    /** Makes a file something else wrote (a heap dump) owner-only, where permissions exist. */
    public static void restrict(Path file) throws IOException {
        if (posix(file)) {
            Files.setPosixFilePermissions(file, OWNER_ONLY_FILE);
        }
    }

    private static FileAttribute<Set<PosixFilePermission>> ownerOnlyFile() {
        return PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE);
    }

    private static BasicFileAttributes readNoFollow(Path dir) throws IOException {
        return Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    private static void check(Path dir, BasicFileAttributes a) throws IOException {
        if (a.isSymbolicLink()) {
            throw new IOException(SETTING + " " + dir + " is a symbolic link; profiles are not written through one "
                    + "(it may point into another user's reach): set " + SETTING + " to a directory of this user's");
        }
        if (!a.isDirectory()) {
            throw new IOException(SETTING + " " + dir + " is not a directory");
        }
        UserPrincipal owner;
        UserPrincipal me;
        try {
            owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS);
            me = currentUser(dir.getFileSystem());
        } catch (UnsupportedOperationException e) {
            return; // no owners on this file system
        }
        if (me != null && !owner.getName().equals(me.getName())) {
            throw new IOException(SETTING + " " + dir + " is owned by " + owner.getName() + ", not by " + me.getName()
                    + " (the user this JVM runs as), so that user could read or swap profiles before they are "
                    + "stored: set " + SETTING + " to a directory of this user's");
        }
    }

    /** The user this JVM runs as ({@code user.name} is read from the OS at startup), or null if unknown. */
    private static UserPrincipal currentUser(FileSystem fs) {
        try {
            return fs.getUserPrincipalLookupService().lookupPrincipalByName(System.getProperty("user.name"));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
