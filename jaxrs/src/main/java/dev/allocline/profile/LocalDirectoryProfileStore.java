package dev.allocline.profile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;

/**
 * Keeps profiles in a local directory, the key being the relative path; a key that would leave the
 * directory is refused. Called on the library's profile thread, one profile at a time; files appear
 * whole (written aside, then moved into place).
 */
public final class LocalDirectoryProfileStore implements ProfileStore {

    private final Path root;

    /** Profiles go below {@code root}, which is created when missing. */
    public LocalDirectoryProfileStore(Path root) {
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
    }

    @Override
    public String store(String key, Path file) throws IOException {
        Path target = root.resolve(key).normalize();
        if (!target.startsWith(root) || target.equals(root)) {
            throw new IOException("profile key escapes the profile directory: " + key);
        }
        Files.createDirectories(target.getParent());
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        Files.copy(file, partial, StandardCopyOption.REPLACE_EXISTING);
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return target.toUri().toString();
    }

    @Override
    public String toString() {
        return "LocalDirectoryProfileStore[" + root + "]";
    }
}
