package dev.allocline.internal.profile;

import dev.allocline.internal.log.Logging;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The profile temp directory ({@code profileTempDirectory}) made safe to write profiles into: this user's
 * alone. A profile holds what the application allocated (a heap dump every secret in the heap), and the
 * default directory is a fixed name in the shared temp directory, where another local user can create it
 * first, or put a symbolic link there, and then read or swap dumps before they are uploaded. So the
 * directory is created {@code rwx------}, a symbolic link or a directory owned by someone else is refused,
 * an own directory with looser permissions is tightened, and files are created {@code rw-------}. Checked
 * with {@code NOFOLLOW_LINKS} before every capture, not only at build: the name can change in between.
 * Where the file system has no POSIX permissions only the link and owner checks apply.
 *
 * <p>"This user" is the owner of a file this JVM has just created in the directory, not the user named by
 * {@code user.name}: that property names no user where the UID has no passwd entry (a container's random
 * UID gives {@code ?}), and {@code -Duser.name=...} can name anyone; a check by name then let every
 * directory pass, or refused the JVM's own. A file created there also gets whatever owner the file system
 * gives this JVM's files (a mapped or squashed volume), so like is compared with like. Where no file can be
 * created in the directory, no owner can be established: that is said once per directory, the directory is
 * left as it is, and a capture cannot create its own file there either. Not API.
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
        boolean ours = check(dir, a);
        if (ours && posix(dir) && !Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS).equals(OWNER_ONLY_DIR)) {
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

    /**
     * Throws naming the setting when {@code dir} is a link, not a directory, or another user's; returns whether it
     * is known to be this user's (false where the file system has no owners or none could be established).
     */
    private static boolean check(Path dir, BasicFileAttributes a) throws IOException {
        if (a.isSymbolicLink()) {
            throw new IOException(SETTING + " " + dir + " is a symbolic link; profiles are not written through one "
                    + "(it may point into another user's reach): set " + SETTING + " to a directory of this user's");
        }
        if (!a.isDirectory()) {
            throw new IOException(SETTING + " " + dir + " is not a directory");
        }
        UserPrincipal owner;
        try {
            owner = Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException e) {
            return false; // no owners on this file system
        }
        UserPrincipal me;
        try {
            me = ownerOfNewFile(dir);
        } catch (ProbeRefused e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            warnNoOwner(dir, e);
            return false;
        }
        if (!owner.equals(me)) {
            throw new IOException(SETTING + " " + dir + " is owned by " + owner.getName() + ", not by " + me.getName()
                    + " (the owner of a file this JVM creates there), so that user could read or swap profiles before "
                    + "they are stored: set " + SETTING + " to a directory of this user's");
        }
        return true;
    }

    /**
     * The owner of a file created in {@code dir} just now, by this JVM: the user its files get there. The file is
     * owner-only, under a name no one can have prepared (created exclusively, so never through a link), and gone
     * before this returns.
     *
     * <p>Its owner is read by name, and the owner of a directory can rename any entry in it: between the creation
     * and the read, the owner of a directory prepared by someone else can put a file of their own under the
     * probe's name, and the probe then "proves" the directory this JVM's. Where the JDK tells this process's uid
     * (Unix), the probe must carry it: a probe of another uid is refused, not trusted.
     *
     * @throws IOException naming the setting when the probe carries another uid than this process's
     */
    private static UserPrincipal ownerOfNewFile(Path dir) throws IOException {
        Path probe = posix(dir) ? Files.createTempFile(dir, ".allocline-owner-", ".tmp", ownerOnlyFile())
                : Files.createTempFile(dir, ".allocline-owner-", ".tmp");
        try {
            java.util.function.Consumer<Path> hook = afterProbe;
            if (hook != null) {
                hook.accept(probe);
            }
            if (PROCESS_UID < 0 || !dir.getFileSystem().supportedFileAttributeViews().contains("unix")) {
                return Files.getOwner(probe, LinkOption.NOFOLLOW_LINKS);
            }
            // One lstat for both, so they describe the same file.
            Map<String, Object> a = Files.readAttributes(probe, "unix:uid,owner", LinkOption.NOFOLLOW_LINKS);
            long uid = ((Number) a.get("uid")).longValue();
            if (uid != PROCESS_UID) {
                throw new ProbeRefused(SETTING + " " + dir + ": a file this JVM created there is owned by uid " + uid
                        + ", not by this process's uid " + PROCESS_UID + " (the file system maps owners, or the file "
                        + "was replaced while it was checked): set " + SETTING + " to a local directory of this user's");
            }
            return (UserPrincipal) a.get("owner");
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    /** The probe proved the directory unsafe: a refusal, not an owner that could not be established. */
    private static final class ProbeRefused extends IOException {
        private static final long serialVersionUID = 1L;

        ProbeRefused(String message) {
            super(message);
        }
    }

    /** This process's uid where it can be told (Unix), else -1: the probe's owner alone then decides. */
    private static final long PROCESS_UID = processUid();

    private static long processUid() {
        try {
            com.sun.security.auth.module.UnixSystem u = new com.sun.security.auth.module.UnixSystem();
            // JDK 17 fills in nothing, and says uid 0, when the uid has no passwd entry (a container's random uid;
            // seen with 17.0.15, fixed by 25): only trusted with the name it found.
            if (u.getUsername() != null) {
                return u.getUid();
            }
        } catch (RuntimeException | LinkageError e) {
            // not Unix (no native part), or the module is missing
        }
        try {
            // Linux: /proc/self is the process's directory, owned by its effective uid.
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Test seam: run between the probe's creation and the reading of its owner, where the owner of the directory
     * could replace it. Null outside tests (a plain static field).
     */
    static java.util.function.Consumer<Path> afterProbe;

    /** Directories already warned about, so each is said once; bounded (the setting names one or two). */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();
    private static final int MAX_WARNED = 64;

    private static void warnNoOwner(Path dir, Exception why) {
        String key = dir.toAbsolutePath().toString();
        if (WARNED.size() >= MAX_WARNED || !WARNED.add(key)) {
            return;
        }
        try {
            Logging.failures().warn("dev.allocline", "allocline: " + SETTING + " " + dir + ": cannot tell which user "
                    + "this JVM's files belong to there, so its owner is not checked and its permissions are left as "
                    + "they are (no file could be created in it: " + why + "; a capture cannot create its file there "
                    + "either)", null);
        } catch (RuntimeException | LinkageError ignored) {
            // the warning must not become a failure of its own
        }
    }

    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
