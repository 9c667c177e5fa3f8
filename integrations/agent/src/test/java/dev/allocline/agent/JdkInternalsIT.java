package dev.allocline.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent gives no code but its own two modules any JDK internal: a class on the class path (any library of the
 * service) reaches exactly what it reaches without the agent, which is none of the internals the hooks use, and
 * cannot take them from the hooks either. {@link InternalsProbe} tries, in child JVMs of this JDK started with and
 * without the agent, with a class on the bootstrap class path to stand for that loader's unnamed module.
 */
class JdkInternalsIT {

    @TempDir
    Path bootClassPath;

    @Test
    void aClassOnTheClassPathReachesTheSameJdkInternalsWithTheAgentAsWithout() throws Exception {
        List<String> without = probe(false);
        List<String> with = probe(true).stream().filter(l -> !l.startsWith("probe: hook") && !l.contains("hook's class")
                && !l.startsWith("probe: a virtual thread")).collect(Collectors.toList());
        assertEquals(without, with, "the agent changes nothing a class-path class can reach");
        assertFalse(without.isEmpty());
        for (String line : without) {
            assertTrue(line.endsWith(": false, opens it: false") || line.endsWith(": false") || line.contains(": denied: "), line);
        }
        assertTrue(without.contains("probe: Unsafe.getUnsafe() by reflection: denied: java.lang.IllegalAccessException"), String.join("\n", without));
    }

    @Test
    void theHooksFieldsAndPrivateLookupAreClosedToTheClassPathWhileTheAgentCounts() throws Exception {
        List<String> with = probe(true);
        String all = String.join("\n", with);
        assertTrue(with.contains("probe: hook module: dev.allocline.agent.hook, defined to the bootstrap loader, "
                + "opens its package to the class path: false"), all);
        List<String> fields = with.stream().filter(l -> l.startsWith("probe: hook field ")).collect(Collectors.toList());
        assertTrue(fields.size() > 10, all);
        for (String field : fields) {
            assertTrue(field.endsWith("taken: denied: java.lang.reflect.InaccessibleObjectException"), field);
        }
        assertTrue(with.contains("probe: a private lookup in the hook's class: denied: java.lang.IllegalAccessException"), all);
        long read = with.stream().filter(l -> l.startsWith("probe: a virtual thread allocating 1 MiB read "))
                .mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(-2);
        assertTrue(read >= (1 << 20) - 16 && read < (1 << 20) + VirtualThreadCountersIT.SLACK, "the hooks still count: " + all);
    }

    /** The probe's lines, from a child JVM with {@link BootMarker} alone on the bootstrap class path. */
    private List<String> probe(boolean agent) throws Exception {
        Path marker = bootClassPath.resolve(BootMarker.class.getName().replace('.', '/') + ".class");
        if (!Files.exists(marker)) {
            Files.createDirectories(marker.getParent());
            try (InputStream in = BootMarker.class.getResourceAsStream("BootMarker.class")) {
                Files.write(marker, in.readAllBytes());
            }
        }
        List<String> args = new java.util.ArrayList<>();
        if (agent) {
            args.add(ChildJvm.agent());
        }
        args.addAll(List.of("-Xbootclasspath/a:" + bootClassPath, "-cp", System.getProperty("java.class.path"),
                InternalsProbe.class.getName(), agent ? "hook" : ""));
        String out = ChildJvm.run(args);
        List<String> lines = out.lines().filter(l -> l.startsWith("probe: ")).collect(Collectors.toList());
        assertTrue(out.lines().noneMatch(l -> l.startsWith("allocline-agent:")), "the agent installed: " + out);
        assertTrue(!lines.isEmpty() && out.lines().noneMatch(l -> l.contains("Exception in thread")), out);
        return lines;
    }
}
