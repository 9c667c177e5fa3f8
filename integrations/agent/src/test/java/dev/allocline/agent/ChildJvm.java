package dev.allocline.agent;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A JVM of the tests' own JDK, started for one test. */
final class ChildJvm {

    private ChildJvm() {
    }

    /** {@code -javaagent:} and the agent jar this build made. */
    static String agent() {
        return "-javaagent:" + System.getProperty("allocline.agent.jar");
    }

    /** What a JVM started with {@code args} printed (stdout and stderr) until it exited. */
    static String run(String... args) throws Exception {
        return run(List.of(args));
    }

    static String run(List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM exited");
        return out;
    }
}
