package dev.allocline.agent;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.net.URI;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The agent's definer module, {@value #NAME}: a named module in a module layer of its own, with a class loader
 * of its own, serving the classes of one package read from the agent jar. It is the only module, besides the
 * hooks' own, that java.base exports JDK-internal packages to (see {@code HookDefiner}). Its package is exported to
 * the agent's module only, which is the class path's unnamed module, so what keeps other code out is that none holds
 * its layer or its loader (nothing refers to them once the premain returns), and that {@code HookDefiner} acts once.
 * Used once, by the premain.
 */
final class DefinerModule {

    static final String NAME = "dev.allocline.agent.definer";
    static final String PACKAGE = "dev.allocline.agent.definer";
    static final String HOOK_PACKAGE = "dev.allocline.agent.hook";

    private DefinerModule() {
    }

    /**
     * The class files of the definer's and the hooks' packages (binary name to bytes), read from the jar that
     * holds {@code agent}: the one whose premain runs, even when another copy of the agent is on the class path.
     */
    static Map<String, byte[]> classFiles(Class<?> agent) throws Exception {
        Path jar = Path.of(agent.getProtectionDomain().getCodeSource().getLocation().toURI());
        Map<String, byte[]> classes = new TreeMap<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            for (JarEntry e : Collections.list(file.entries())) {
                String name = e.getName();
                if (!name.endsWith(".class")) {
                    continue;
                }
                String binary = name.substring(0, name.length() - ".class".length()).replace('/', '.');
                String pkg = binary.substring(0, Math.max(0, binary.lastIndexOf('.')));
                if (pkg.equals(PACKAGE) || pkg.equals(HOOK_PACKAGE)) {
                    try (InputStream in = file.getInputStream(e)) {
                        classes.put(binary, in.readAllBytes());
                    }
                }
            }
        }
        for (String pkg : List.of(PACKAGE, HOOK_PACKAGE)) {
            if (inPackage(classes, pkg).isEmpty()) {
                throw new IOException("the agent jar " + jar + " holds no classes of " + pkg);
            }
        }
        return classes;
    }

    /** Those of {@code classes} in package {@code pkg} (not in its subpackages). */
    static Map<String, byte[]> inPackage(Map<String, byte[]> classes, String pkg) {
        Map<String, byte[]> in = new TreeMap<>();
        classes.forEach((name, bytes) -> {
            if (name.startsWith(pkg + ".") && name.indexOf('.', pkg.length() + 1) < 0) {
                in.put(name, bytes);
            }
        });
        return in;
    }

    /**
     * Defines the definer module in a new layer over the boot layer, its package exported to {@code agent} only;
     * its classes come from {@code classes}.
     */
    static Module define(Map<String, byte[]> classes, Module agent) {
        Map<String, byte[]> files = new HashMap<>();
        inPackage(classes, PACKAGE).forEach((name, bytes) -> files.put(name.replace('.', '/') + ".class", bytes));
        ModuleDescriptor descriptor = ModuleDescriptor.newModule(NAME).packages(Set.of(PACKAGE)).build();
        ModuleReference reference = new ModuleReference(descriptor, null) {
            @Override
            public ModuleReader open() {
                return new ModuleReader() {
                    @Override
                    public Optional<URI> find(String name) {
                        return Optional.empty();
                    }

                    @Override
                    public Optional<InputStream> open(String name) {
                        byte[] bytes = files.get(name);
                        return bytes == null ? Optional.empty() : Optional.of(new ByteArrayInputStream(bytes));
                    }

                    @Override
                    public Stream<String> list() {
                        return files.keySet().stream();
                    }

                    @Override
                    public void close() {
                    }
                };
            }
        };
        ModuleFinder finder = new ModuleFinder() {
            @Override
            public Optional<ModuleReference> find(String name) {
                return name.equals(NAME) ? Optional.of(reference) : Optional.empty();
            }

            @Override
            public Set<ModuleReference> findAll() {
                return Set.of(reference);
            }
        };
        ModuleLayer boot = ModuleLayer.boot();
        Configuration cf = boot.configuration().resolve(finder, ModuleFinder.of(), Set.of(NAME));
        // The parent loader only serves the JDK's classes to it: the definer reads nothing but java.base.
        ModuleLayer.Controller layer = ModuleLayer.defineModulesWithOneLoader(cf, List.of(boot), ClassLoader.getPlatformClassLoader());
        Module definer = layer.layer().findModule(NAME).orElseThrow();
        layer.addExports(definer, PACKAGE, agent);
        return definer;
    }
}
