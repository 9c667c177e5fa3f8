package dev.allocline.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public surface is what the module exports: a few API packages. Everything else a user could
 * reach on the class path lives under {@code dev.allocline.internal} and is marked as not API.
 */
class ModuleTest {

    static final Set<String> API = Set.of("dev.allocline", "dev.allocline.jaxrs", "dev.allocline.line",
            "dev.allocline.profile");
    static final Path CLASSES = Path.of("target/classes");

    @Test
    void theModuleExportsOnlyTheApiPackages() throws IOException {
        ModuleDescriptor d;
        try (InputStream in = Files.newInputStream(CLASSES.resolve("module-info.class"))) {
            d = ModuleDescriptor.read(in);
        }
        assertEquals("dev.allocline", d.name());
        Set<String> exported = d.exports().stream().filter(e -> !e.isQualified())
                .map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
        assertEquals(API, exported);
        // Qualified exports only: the runtime adapters (Jersey, CXF) drive the same accounting, and Jersey's
        // entry point receives the settings its builder validated.
        assertEquals(Set.of("dev.allocline.internal.accounting -> [dev.allocline.cxf, dev.allocline.jersey]",
                        "dev.allocline.internal -> [dev.allocline.jersey]"),
                d.exports().stream().filter(ModuleDescriptor.Exports::isQualified)
                        .map(e -> e.source() + " -> " + new TreeSet<>(e.targets())).collect(Collectors.toSet()));
        assertTrue(d.packages().stream().filter(p -> !API.contains(p)).allMatch(p -> p.startsWith("dev.allocline.internal")),
                () -> "every other package is internal: " + d.packages());
    }

    @Test
    void publicTypesOutsideInternalPackagesAreApiAndSayWhoMayCallThem() throws Exception {
        List<String> publicTypes = publicTopLevelTypes();
        Set<String> outside = new TreeSet<>();
        for (String name : publicTypes) {
            String pkg = name.substring(0, name.lastIndexOf('.'));
            if (!pkg.startsWith("dev.allocline.internal")) {
                outside.add(name);
                assertTrue(API.contains(pkg), name + " is public outside the API packages");
            }
        }
        assertEquals(Set.of("dev.allocline.AllocLine", "dev.allocline.AllocLineBuilder",
                "dev.allocline.jaxrs.AllocLineFilter",
                "dev.allocline.line.CanonicalLine", "dev.allocline.line.CanonicalLineFormat",
                "dev.allocline.line.CanonicalLineSink", "dev.allocline.line.Log4j2Sink", "dev.allocline.line.Slf4jSink",
                // for metrics sinks (Micrometer's, Dropwizard's, a user's): the application's routes, told at start,
                // and the bound that keeps them from being pushed out by routes made at run time (#36)
                "dev.allocline.line.DeclaredRoutesListener", "dev.allocline.line.BoundedRoutes",
                "dev.allocline.profile.LocalDirectoryProfileStore", "dev.allocline.profile.ProfileKind",
                "dev.allocline.profile.ProfileStore", "dev.allocline.profile.S3ProfileStore",
                "dev.allocline.profile.ProfileListener", "dev.allocline.profile.ProfileReport"), outside,
                "the API is small and deliberate; a new public type needs a reason");
        // Each API type's documentation names its threading contract.
        for (String name : outside) {
            Path source = Path.of("src/main/java", name.replace('.', '/') + ".java");
            String text = Files.readString(source);
            int declaration = text.indexOf("\npublic ");
            String doc = text.substring(0, Math.max(0, declaration));
            assertTrue(doc.matches("(?s).*(any thread|Any thread|concurrently|Threading:|thread-safe|Immutable|immutable|profile thread|one thread).*"),
                    () -> name + " does not say who may call it from which threads");
        }
    }

    private static List<String> publicTopLevelTypes() throws Exception {
        try (Stream<Path> s = Files.walk(CLASSES)) {
            List<String> names = s.map(CLASSES::relativize).map(Path::toString)
                    .filter(p -> p.endsWith(".class") && !p.contains("$") && !p.equals("module-info.class"))
                    .map(p -> p.substring(0, p.length() - 6).replace('/', '.')).sorted().collect(Collectors.toList());
            return names.stream().filter(n -> {
                try {
                    return Modifier.isPublic(Class.forName(n, false, ModuleTest.class.getClassLoader()).getModifiers());
                } catch (ClassNotFoundException | LinkageError e) {
                    return false;
                }
            }).collect(Collectors.toList());
        }
    }
}
