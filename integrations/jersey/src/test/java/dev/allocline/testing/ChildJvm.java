package dev.allocline.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code main} run in a JVM of its own, on this test JVM's class path, to its end: everything it printed on stdout
 * and on stderr, from the JVM's first byte. What a service prints at start-up can only be seen this way: a logging
 * library that prints a status message (Log4j's "could not find a logging provider") does it once per JVM, to the
 * {@code System.err} it found then, so a test JVM that already loaded it, or replaced the stream too late, sees
 * nothing.
 */
public final class ChildJvm {

    private final int exitCode;
    private final String out;
    private final String err;

    private ChildJvm(int exitCode, String out, String err) {
        this.exitCode = exitCode;
        this.out = out;
        this.err = err;
    }

    /** Runs {@code mainClass} with {@code args} and waits for it to end (at most 120 s). */
    public static ChildJvm run(Class<?> mainClass, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread outReader = drain(p.getInputStream(), out);
        Thread errReader = drain(p.getErrorStream(), err);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(mainClass.getName() + " did not end within 120 s; it printed:\n" + out + "\n" + err);
        }
        outReader.join(10_000);
        errReader.join(10_000);
        return new ChildJvm(p.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Thread drain(InputStream in, ByteArrayOutputStream to) {
        Thread t = new Thread(() -> {
            try (in) {
                in.transferTo(to);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, "child-jvm-reader");
        t.setDaemon(true);
        t.start();
        return t;
    }

    public int exitCode() {
        return exitCode;
    }

    /** Everything printed on stdout. */
    public String out() {
        return out;
    }

    /** Everything printed on stderr. */
    public String err() {
        return err;
    }

    /**
     * The lines of stdout and stderr, canonical lines aside, that name {@code word} (any case) once the names of
     * {@code ownClasses} are taken out: a test service's classes live in allocline's packages too, and their names
     * are not allocline speaking.
     */
    public java.util.List<String> linesNaming(String word, Class<?>... ownClasses) {
        String w = word.toLowerCase(java.util.Locale.ROOT);
        return (out + err).lines().filter(l -> !l.contains("canonical_api_line")).filter(l -> {
            String rest = l;
            for (Class<?> c : ownClasses) {
                rest = rest.replace(c.getName(), "");
            }
            return rest.toLowerCase(java.util.Locale.ROOT).contains(w);
        }).toList();
    }

    /** Both, for failure messages. */
    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
    }
}
