package dev.allocline.agent.definer;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.module.ModuleDescriptor;
import java.net.URI;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Defines the hooks' module, {@value #HOOK_MODULE}, to the bootstrap class loader: a named module, so that the
 * JDK-internal packages its hooks use can be exported to it alone, defined to that loader because
 * {@code java.lang.VirtualThread} (java.base) resolves the hooks through it.
 *
 * <p>Runs in the module {@code dev.allocline.agent.definer}, which the agent defines in a module layer of its own
 * (no other code has its class loader) and to which java.base exports two internal packages, to it alone:
 * {@code jdk.internal.module}, for {@code Modules.defineModule} (public API refuses to define a module to the
 * bootstrap loader: {@code ModuleLayer.defineModules} throws for a null loader), and {@code jdk.internal.misc},
 * for {@code Unsafe.defineClass} with no loader (defining to the bootstrap loader any other way means appending a
 * jar to its search, which turns off class data sharing for every other loader). Called by the agent's premain,
 * once; its package is exported to the agent's module only.
 */
public final class HookDefiner {

    static final String HOOK_MODULE = "dev.allocline.agent.hook";
    static final String HOOK_PACKAGE = "dev.allocline.agent.hook";

    private static final AtomicBoolean DEFINED = new AtomicBoolean();
    /** A full lookup in the hooks' package (open to this module only); null until {@link #define}. */
    private static volatile MethodHandles.Lookup hooks;

    private HookDefiner() {
    }

    /**
     * Defines the hooks' module and every class of its package ({@code classes}: binary name to class file), and
     * hands the hooks the agent's options, which their initialiser reads; initialises nothing. Returns the module,
     * which reads java.base and java.management, exports its package to all (the library calls the hooks' reads
     * through {@code publicLookup}) and opens it to this module only. Once per JVM.
     */
    public static Module define(Map<String, byte[]> classes, int slots, boolean jniRead) throws Throwable {
        if (!DEFINED.compareAndSet(false, true)) {
            throw new IllegalStateException("the hooks' module is already defined");
        }
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        Class<?> modules = Class.forName("jdk.internal.module.Modules");
        MethodHandle defineModule = lookup.findStatic(modules, "defineModule",
                MethodType.methodType(Module.class, ClassLoader.class, ModuleDescriptor.class, URI.class));
        MethodHandle addReads = lookup.findStatic(modules, "addReads", MethodType.methodType(void.class, Module.class, Module.class));
        MethodHandle addExports = lookup.findStatic(modules, "addExports", MethodType.methodType(void.class, Module.class, String.class));
        MethodHandle addOpens = lookup.findStatic(modules, "addOpens",
                MethodType.methodType(void.class, Module.class, String.class, Module.class));
        Class<?> unsafeClass = Class.forName("jdk.internal.misc.Unsafe");
        Object unsafe = lookup.findStatic(unsafeClass, "getUnsafe", MethodType.methodType(unsafeClass)).invoke();
        MethodHandle defineClass = lookup.findVirtual(unsafeClass, "defineClass", MethodType.methodType(Class.class,
                String.class, byte[].class, int.class, int.class, ClassLoader.class, ProtectionDomain.class)).bindTo(unsafe);

        Module self = HookDefiner.class.getModule();
        Module management = ModuleLayer.boot().findModule("java.management")
                .orElseThrow(() -> new IllegalStateException("no java.management module"));
        ModuleDescriptor descriptor = ModuleDescriptor.newModule(HOOK_MODULE)
                .requires("java.management")
                .exports(HOOK_PACKAGE)
                .opens(HOOK_PACKAGE, Set.of(self.getName()))
                .packages(Set.of(HOOK_PACKAGE))
                .build();
        // Born with no reads, exports or opens (jdk.internal.module's "larval" module): given exactly what its
        // descriptor says.
        Module hook = (Module) defineModule.invokeExact((ClassLoader) null, descriptor, (URI) null);
        addReads.invokeExact(hook, Object.class.getModule());
        addReads.invokeExact(hook, management);
        addExports.invokeExact(hook, HOOK_PACKAGE);
        addOpens.invokeExact(hook, HOOK_PACKAGE, self);
        self.addReads(hook);

        // The bootstrap loader cannot find these classes itself (its module has no location it searches), so
        // every one is defined now. They extend only JDK classes, so the order does not matter.
        List<Class<?>> defined = new ArrayList<>();
        for (Map.Entry<String, byte[]> c : classes.entrySet()) {
            if (!c.getKey().startsWith(HOOK_PACKAGE + ".") || c.getKey().indexOf('.', HOOK_PACKAGE.length() + 1) >= 0) {
                throw new IllegalArgumentException(c.getKey() + " is not in " + HOOK_PACKAGE);
            }
            byte[] bytes = c.getValue();
            defined.add((Class<?>) defineClass.invokeExact(c.getKey(), bytes, 0, bytes.length, (ClassLoader) null,
                    (ProtectionDomain) null));
        }
        Class<?> settings = defined.stream().filter(c -> c.getName().equals(HOOK_PACKAGE + ".Settings")).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no " + HOOK_PACKAGE + ".Settings"));
        if (settings.getModule() != hook) {
            throw new IllegalStateException("the hooks' classes landed in " + settings.getModule() + ", not in " + hook);
        }
        MethodHandles.Lookup inHooks = MethodHandles.privateLookupIn(settings, lookup);
        inHooks.findStaticVarHandle(settings, "slots", int.class).set(slots);
        inHooks.findStaticVarHandle(settings, "jniRead", boolean.class).set(jniRead);
        hooks = inHooks;
        return hook;
    }

    /** Tells the hooks they are in {@code VirtualThread}: the library uses their table only then. */
    public static void markInstalled(Class<?> counters) throws Throwable {
        MethodHandles.Lookup inHooks = hooks;
        if (inHooks == null || counters.getModule() != inHooks.lookupClass().getModule()) {
            throw new IllegalStateException("not the hooks this module defined: " + counters);
        }
        inHooks.findStatic(counters, "markInstalled", MethodType.methodType(void.class)).invokeExact();
    }
}
