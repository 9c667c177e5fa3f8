package dev.allocline.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No public or protected signature of an exported type names an internal type: a user who subclasses,
 * implements or calls the API never receives a {@code dev.allocline.internal} type, so internal types
 * can change without breaking anyone. Read by reflection over the classes of the packages the module
 * exports to everyone.
 */
public class ExportedApiTest { // public: so its nested Leaky is visible to the check

    @Test
    void noExportedSignatureNamesAnInternalType() throws Exception {
        List<String> leaks = leaks(exportedClasses());
        assertEquals(List.of(), leaks, "exported signatures that name internal types");
    }

    @Test
    void theCheckFindsALeakInEveryPlaceASignatureCanHoldOne() throws Exception {
        // One leak per place: a protected constructor's generic parameter, a public method's parameter of
        // a nested type, a return type, a type parameter's bound, a supertype, a public field.
        assertEquals(List.of(
                        "dev.allocline.api.ExportedApiTest$Leaky: extends/implements names dev.allocline.internal.line.FieldRenderer",
                        "dev.allocline.api.ExportedApiTest$Leaky: field leakyField names dev.allocline.internal.AllocLineSettings",
                        "dev.allocline.api.ExportedApiTest$Leaky: method bounded names dev.allocline.internal.AllocLineSettings",
                        "dev.allocline.api.ExportedApiTest$Leaky: method returnsIt names dev.allocline.internal.AllocLineSettings",
                        "dev.allocline.api.ExportedApiTest$Leaky: method writeTo names dev.allocline.internal.line.LineFormat$FieldWriter",
                        "dev.allocline.api.ExportedApiTest$Leaky: protected constructor names dev.allocline.internal.AllocLineSettings"),
                leaks(List.of(Leaky.class)));
    }

    /** Every public or protected way a signature can name a type, each naming an internal one. */
    @SuppressWarnings("unused")
    public abstract static class Leaky implements dev.allocline.internal.line.FieldRenderer<Object> {
        public dev.allocline.internal.AllocLineSettings leakyField;
        private dev.allocline.internal.AllocLineSettings privateFieldIsFine;

        protected Leaky(Function<dev.allocline.internal.AllocLineSettings, Object> factory) {
        }

        public abstract dev.allocline.internal.AllocLineSettings returnsIt();

        public abstract <T extends dev.allocline.internal.AllocLineSettings> void bounded(T t);

        @Override
        public void writeTo(Object subject, dev.allocline.internal.line.LineFormat.FieldWriter w) {
        }

        void packagePrivateIsFine(dev.allocline.internal.AllocLineSettings s) {
        }
    }

    static List<String> leaks(List<Class<?>> classes) {
        Set<String> out = new TreeSet<>();
        for (Class<?> c : classes) {
            if (!visible(c)) {
                continue;
            }
            String where = c.getName();
            List<Type> supers = new ArrayList<>();
            if (c.getGenericSuperclass() != null) {
                supers.add(c.getGenericSuperclass());
            }
            supers.addAll(List.of(c.getGenericInterfaces()));
            supers.addAll(List.of(c.getTypeParameters()));
            report(out, where + ": extends/implements", supers);
            for (Field f : c.getDeclaredFields()) {
                if (api(f)) {
                    report(out, where + ": field " + f.getName(), List.of(f.getGenericType()));
                }
            }
            for (Constructor<?> k : c.getDeclaredConstructors()) {
                if (api(k)) {
                    report(out, where + ": " + (Modifier.isProtected(k.getModifiers()) ? "protected " : "") + "constructor",
                            signature(k));
                }
            }
            for (Method m : c.getDeclaredMethods()) {
                if (api(m) && !m.isSynthetic() && !m.isBridge()) {
                    List<Type> types = signature(m);
                    types.add(m.getGenericReturnType());
                    report(out, where + ": method " + m.getName(), types);
                }
            }
        }
        return List.copyOf(out);
    }

    private static List<Type> signature(Executable e) {
        List<Type> types = new ArrayList<>(List.of(e.getGenericParameterTypes()));
        types.addAll(List.of(e.getGenericExceptionTypes()));
        types.addAll(List.of(e.getTypeParameters()));
        return types;
    }

    private static void report(Set<String> out, String where, List<Type> types) {
        Set<String> internal = new TreeSet<>();
        Set<TypeVariable<?>> seen = new HashSet<>();
        for (Type t : types) {
            collectInternal(t, internal, seen);
        }
        for (String name : internal) {
            out.add(where + " names " + name);
        }
    }

    private static void collectInternal(Type t, Set<String> out, Set<TypeVariable<?>> seen) {
        if (t instanceof Class<?> c) {
            while (c.isArray()) {
                c = c.getComponentType();
            }
            if (c.getPackageName().startsWith("dev.allocline.internal")) {
                out.add(c.getName());
            }
        } else if (t instanceof ParameterizedType p) {
            collectInternal(p.getRawType(), out, seen);
            if (p.getOwnerType() != null) {
                collectInternal(p.getOwnerType(), out, seen);
            }
            for (Type a : p.getActualTypeArguments()) {
                collectInternal(a, out, seen);
            }
        } else if (t instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) {
                collectInternal(b, out, seen);
            }
            for (Type b : w.getLowerBounds()) {
                collectInternal(b, out, seen);
            }
        } else if (t instanceof GenericArrayType g) {
            collectInternal(g.getGenericComponentType(), out, seen);
        } else if (t instanceof TypeVariable<?> v && seen.add(v)) { // B extends AllocLineBuilder<B, T> refers to itself
            for (Type b : v.getBounds()) {
                collectInternal(b, out, seen);
            }
        }
    }

    /** A type a user can name: public, and every type enclosing it public too. */
    private static boolean visible(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
            if (!Modifier.isPublic(k.getModifiers())) {
                return false;
            }
        }
        return true;
    }

    /** Public, or protected in a class a user can extend. */
    private static boolean api(Member m) {
        int mod = m.getModifiers();
        return Modifier.isPublic(mod)
                || (Modifier.isProtected(mod) && !Modifier.isFinal(m.getDeclaringClass().getModifiers()));
    }

    /** The classes of the packages module {@code dev.allocline} exports to everyone. */
    private static List<Class<?>> exportedClasses() throws IOException, ClassNotFoundException {
        ModuleDescriptor d;
        try (InputStream in = Files.newInputStream(ModuleTest.CLASSES.resolve("module-info.class"))) {
            d = ModuleDescriptor.read(in);
        }
        Set<String> exported = d.exports().stream().filter(e -> !e.isQualified())
                .map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
        assertTrue(exported.contains("dev.allocline"), () -> "exports: " + exported);
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> s = Files.walk(ModuleTest.CLASSES)) {
            for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".class")
                    && !f.getFileName().toString().equals("module-info.class"))::iterator) {
                String name = ModuleTest.CLASSES.relativize(p).toString().replace('\\', '/')
                        .replace('/', '.').replaceAll("\\.class$", "");
                if (exported.contains(name.substring(0, name.lastIndexOf('.')))) {
                    classes.add(Class.forName(name, false, ExportedApiTest.class.getClassLoader()));
                }
            }
        }
        assertTrue(classes.size() > 10, () -> "found the API's classes: " + classes);
        return classes;
    }
}
