package dev.allocline.profile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local store keeps every profile it was given: whole, inside its directory, never replaced. */
class LocalDirectoryProfileStoreTest {

    @Test
    void aStoredProfileIsAWholeCopyUnderItsKey(@TempDir Path tmp) throws IOException {
        Path file = Files.write(tmp.resolve("capture.jfr"), new byte[] {1, 2, 3});
        LocalDirectoryProfileStore store = new LocalDirectoryProfileStore(tmp.resolve("store"));
        String location = store.store("prod/profiles/r-1-0123456789abcdef.jfr", file);
        Path stored = tmp.resolve("store/prod/profiles/r-1-0123456789abcdef.jfr");
        assertEquals(stored.toUri().toString(), location);
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(stored));
        assertEquals(List.of(stored), filesUnder(tmp.resolve("store")), "nothing else is left behind");
    }

    @Test
    void aKeyThatIsTakenIsRefusedAndTheStoredProfileKept(@TempDir Path tmp) throws IOException {
        LocalDirectoryProfileStore store = new LocalDirectoryProfileStore(tmp.resolve("store"));
        store.store("prod/profiles/incident.jfr", Files.write(tmp.resolve("first.jfr"), new byte[] {1}));
        IOException e = assertThrows(IOException.class,
                () -> store.store("prod/profiles/incident.jfr", Files.write(tmp.resolve("second.jfr"), new byte[] {2})));
        assertTrue(e instanceof FileAlreadyExistsException, e::toString);
        Path stored = tmp.resolve("store/prod/profiles/incident.jfr");
        assertArrayEquals(new byte[] {1}, Files.readAllBytes(stored), "the first profile is untouched");
        assertEquals(List.of(stored), filesUnder(tmp.resolve("store")), "the refused copy is not left behind");
    }

    @Test
    void aKeyLeavingTheDirectoryIsRefused(@TempDir Path tmp) throws IOException {
        Path file = Files.write(tmp.resolve("capture.jfr"), new byte[] {1});
        LocalDirectoryProfileStore store = new LocalDirectoryProfileStore(tmp.resolve("store"));
        IOException e = assertThrows(IOException.class, () -> store.store("../outside.jfr", file));
        assertTrue(e.getMessage().contains("escapes"), e.getMessage());
        assertTrue(Files.notExists(tmp.resolve("outside.jfr")));
    }

    private static List<Path> filesUnder(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }
}
