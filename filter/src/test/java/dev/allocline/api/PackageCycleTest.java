package dev.allocline.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages of the core form no cycle: the API packages may use internal ones and internal ones
 * the API's data types, but never both ways between two packages, so each package can be read (and
 * changed) from its dependencies up. Read from the compiled classes' constant pools.
 */
class PackageCycleTest {

    static final Path CLASSES = Path.of("target/classes");

    @Test
    void noTwoPackagesOfTheCoreDependOnEachOther() throws IOException {
        Map<String, Set<String>> uses = new TreeMap<>();
        try (Stream<Path> s = Files.walk(CLASSES)) {
            for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".class")
                    && !f.getFileName().toString().equals("module-info.class"))::iterator) {
                String pkg = packageOf(CLASSES.relativize(p).toString().replace('\\', '/'));
                for (String used : referencedClasses(p)) {
                    String target = packageOf(used);
                    if (target.startsWith("dev/allocline") && !target.equals(pkg)) {
                        uses.computeIfAbsent(pkg, k -> new TreeSet<>()).add(target);
                    }
                }
            }
        }
        List<String> cycles = new ArrayList<>();
        for (Set<String> component : stronglyConnected(uses)) {
            if (component.size() > 1) {
                cycles.add(component.toString().replace('/', '.'));
            }
        }
        assertEquals(List.of(), cycles, "packages that depend on each other, directly or around a loop: " + uses);
    }

    /** Tarjan's strongly connected components of the package graph. */
    private static List<Set<String>> stronglyConnected(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        java.util.Deque<String> stack = new java.util.ArrayDeque<>();
        Set<String> onStack = new HashSet<>();
        List<Set<String>> out = new ArrayList<>();
        Set<String> nodes = new TreeSet<>(graph.keySet());
        graph.values().forEach(nodes::addAll);
        for (String n : nodes) {
            if (!index.containsKey(n)) {
                connect(n, graph, index, low, stack, onStack, out);
            }
        }
        return out;
    }

    private static void connect(String v, Map<String, Set<String>> graph, Map<String, Integer> index,
                                Map<String, Integer> low, java.util.Deque<String> stack, Set<String> onStack,
                                List<Set<String>> out) {
        index.put(v, index.size());
        low.put(v, index.get(v));
        stack.push(v);
        onStack.add(v);
        for (String w : graph.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, graph, index, low, stack, onStack, out);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            out.add(component);
        }
    }

    private static String packageOf(String internalName) {
        int slash = internalName.lastIndexOf('/');
        return slash < 0 ? "" : internalName.substring(0, slash);
    }

    /** Class names in the constant pool (CONSTANT_Class entries and descriptors of CONSTANT_Utf8 entries). */
    private static Set<String> referencedClasses(Path classFile) throws IOException {
        Set<String> out = new HashSet<>();
        try (InputStream raw = Files.newInputStream(classFile); DataInputStream in = new DataInputStream(raw)) {
            in.readInt(); // magic
            in.readUnsignedShort();
            in.readUnsignedShort();
            int count = in.readUnsignedShort();
            Map<Integer, String> utf8 = new HashMap<>();
            List<Integer> classIndexes = new ArrayList<>();
            for (int i = 1; i < count; i++) {
                int tag = in.readUnsignedByte();
                switch (tag) {
                    case 1 -> utf8.put(i, in.readUTF());
                    case 7 -> classIndexes.add(in.readUnsignedShort());
                    case 8, 16, 19, 20 -> in.readUnsignedShort();
                    case 3, 4, 9, 10, 11, 12, 17, 18 -> in.readInt();
                    case 15 -> {
                        in.readUnsignedByte();
                        in.readUnsignedShort();
                    }
                    case 5, 6 -> {
                        in.readLong();
                        i++; // takes two slots
                    }
                    default -> throw new IOException("unknown constant pool tag " + tag + " in " + classFile);
                }
            }
            for (int idx : classIndexes) {
                String name = utf8.get(idx);
                if (name != null) {
                    out.add(name.replaceAll("^\\[+L|;$", ""));
                }
            }
            // field and method descriptors name types too: Ldev/allocline/...;
            for (String s : utf8.values()) {
                int at = s.indexOf("Ldev/allocline/");
                while (at >= 0) {
                    int end = s.indexOf(';', at);
                    if (end < 0) {
                        break;
                    }
                    out.add(s.substring(at + 1, end).replaceAll("<.*", ""));
                    at = s.indexOf("Ldev/allocline/", end);
                }
            }
        }
        return out;
    }
}
