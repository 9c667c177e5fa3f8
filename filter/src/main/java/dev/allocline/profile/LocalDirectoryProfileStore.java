package dev.allocline.profile;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Keeps profiles in a local directory, the key being the relative path; a key that would leave the
 * directory is refused, and so is a key already stored (a profile is never replaced). Called on the
 * library's profile thread, one profile at a time; files appear whole (written aside, then linked into
 * place) and, where the file system has POSIX permissions, readable by the owner only.
 */
public final class LocalDirectoryProfileStore implements ProfileStore {

    private final Path root;

    /** Profiles go below {@code root}, which is created when missing. */
    public LocalDirectoryProfileStore(Path root) {
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
    }

    /**
     * @throws FileAlreadyExistsException when {@code key} is already stored; the stored file is untouched
     */
    @Override
    public String store(String key, Path file) throws IOException {
        Path target = root.resolve(key).normalize();
        if (!target.startsWith(root) || target.equals(root)) {
            throw new IOException("profile key escapes the profile directory: " + key);
        }
        Path dir = Files.createDirectories(target.getParent());
        if (Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString(), null, "a profile is already stored under " + key);
        }
        // A name of its own (createTempFile: owner-only on POSIX, never an existing file), so no stale or
        // concurrent partial copy is ever written over.
        Path partial = Files.createTempFile(dir, "." + target.getFileName(), ".partial");
        try {
            try (OutputStream out = Files.newOutputStream(partial)) {
                Files.copy(file, out);
            }
            publish(partial, target, key);
        } finally {
            Files.deleteIfExists(partial);
        }
        return target.toUri().toString();
    }

    /**
     * A hard link is created whole and fails when the name exists: never a replace, never a half file. A
     * rename would do neither (POSIX {@code rename} replaces, even without {@code REPLACE_EXISTING} when
     * atomic); where links are missing, a plain move refuses an existing target.
     */
    private static void publish(Path partial, Path target, String key) throws IOException {
        try {
            Files.createLink(target, partial);
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException(target.toString(), null, "a profile is already stored under " + key);
        } catch (UnsupportedOperationException | FileSystemException e) {
            if (Files.exists(target)) {
                throw new FileAlreadyExistsException(target.toString(), null, "a profile is already stored under " + key);
            }
            Files.move(partial, target);
        }
    }

    @Override
    public String toString() {
        return "LocalDirectoryProfileStore[" + root + "]";
    }
}
