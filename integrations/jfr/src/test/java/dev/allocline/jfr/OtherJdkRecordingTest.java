package dev.allocline.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recording made by the other JDK installed (25 when the tests run on 17, 17 when on 25) is read by this
 * one: both write JFR format 2.1, so the command answers as for its own JDK's recordings. The recording holds
 * allocline's two events as allocline writes them ({@link SyntheticRecording}, run by that JDK in a child
 * process). Skipped, saying why, when the other JDK is not under {@code /usr/lib/jvm} (found the way
 * {@code .ci/run}'s {@code find_jdk} finds them).
 */
class OtherJdkRecordingTest {

    @TempDir
    Path dir;

    /** A JDK of feature version {@code feature} under /usr/lib/jvm, by its {@code release} file. */
    static Optional<Path> jdk(int feature) throws IOException {
        Path root = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(root)) {
            return homes.filter(h -> Files.isExecutable(h.resolve("bin/java")) && Files.isExecutable(h.resolve("bin/javac")))
                    .filter(h -> {
                        try {
                            return Files.readString(h.resolve("release")).contains("JAVA_VERSION=\"" + feature + ".")
                                    || Files.readString(h.resolve("release")).contains("JAVA_VERSION=\"" + feature + "\"");
                        } catch (IOException e) {
                            return false;
                        }
                    })
                    .sorted().findFirst();
        }
    }

    @Test
    void aRecordingOfTheOtherJdkIsReadAsItsOwn() throws Exception {
        int here = Runtime.version().feature();
        int other = here == 25 ? 17 : 25;
        Optional<Path> home = jdk(other);
        Assumptions.assumeTrue(home.isPresent(), "no JDK " + other + " under /usr/lib/jvm to write the recording with");
        Path file = dir.resolve("jdk" + other + ".jfr");
        BoundedHeapTest.Child w = BoundedHeapTest.Child.run(dir, BoundedHeapTest.javaOf(home.get().toString()), List.of(
                "-cp", System.getProperty("java.class.path"), SyntheticRecording.class.getName(), file.toString(), "20000"));
        assertEquals(0, w.status(), w::toString);
        String[] heavy = w.out().lines().filter(l -> l.startsWith("h-")).findFirst().orElseThrow().split(" ");

        String top = run(0, "top", file.toString());
        assertTrue(top.contains(": 20000 requests, 20000 stretches"), top);
        assertTrue(top.contains(" 2  /heavy\n"), top);
        String request = run(0, "request", heavy[0], file.toString());
        assertTrue(request.contains("request " + heavy[0] + "  GET /heavy"), request);
        assertTrue(request.contains("line: alloc_bytes=" + heavy[1] + " "), request);
        assertTrue(BoundedHeapTest.topFrame(request).endsWith("SyntheticRecording.work"), request);
    }

    @Test
    void aNewerFormatIsRefusedNamingIt() throws Exception {
        // what a JDK of a future format would write: the header's major version is what this JDK cannot read
        Path file = dir.resolve("future.jfr");
        byte[] header = new byte[68];
        System.arraycopy(new byte[] {'F', 'L', 'R', 0, 0, 3, 0, 0}, 0, header, 0, 8);
        header[15] = 68; // chunk size
        Files.write(file, header);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"top", file.toString()}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String message = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, status, message);
        assertTrue(message.contains("its JFR format is 3.0") && message.contains("read it with that JDK"), message);
    }

    static String run(int expected, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = out.toString(StandardCharsets.UTF_8);
        assertEquals(expected, status, () -> text + err.toString(StandardCharsets.UTF_8));
        return text;
    }
}
