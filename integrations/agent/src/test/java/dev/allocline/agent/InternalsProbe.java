package dev.allocline.agent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Run in a child JVM by {@link JdkInternalsIT}, with the agent and without: an ordinary class on the class path
 * tries to reach the JDK internals the agent's hooks use, and prints one line per attempt ({@code denied: } and
 * the exception's class, or {@code GRANTED: } and what it got). With {@code hook} as argument it also tries the
 * hooks' class, and prints what a virtual thread reads for 1 MiB.
 */
public final class InternalsProbe {

    private static final List<String> PACKAGES = List.of("jdk.internal.misc", "jdk.internal.access", "jdk.internal.module");

    public static void main(String[] args) throws Throwable {
        Module base = Object.class.getModule();
        Module management = ModuleLayer.boot().findModule("java.management").orElseThrow();
        Map<String, Module> modules = new LinkedHashMap<>();
        modules.put("the class path's module", InternalsProbe.class.getModule());
        modules.put("the bootstrap loader's unnamed module", Class.forName("dev.allocline.agent.BootMarker", false, null).getModule());
        modules.put("the platform loader's unnamed module", ClassLoader.getPlatformClassLoader().getUnnamedModule());
        for (Map.Entry<String, Module> m : modules.entrySet()) {
            for (String pkg : PACKAGES) {
                say("java.base exports " + pkg + " to " + m.getKey() + ": " + base.isExported(pkg, m.getValue())
                        + ", opens it: " + base.isOpen(pkg, m.getValue()));
            }
            say("java.management opens sun.management to " + m.getKey() + ": " + management.isOpen("sun.management", m.getValue()));
        }
        say("Unsafe.getUnsafe() by reflection: "
                + attempt(() -> Class.forName("jdk.internal.misc.Unsafe").getMethod("getUnsafe").invoke(null)));
        say("Unsafe.getUnsafe() by a method handle: " + attempt(() -> {
            Class<?> unsafe = Class.forName("jdk.internal.misc.Unsafe");
            return MethodHandles.lookup().findStatic(unsafe, "getUnsafe", MethodType.methodType(unsafe)).invoke();
        }));
        say("SharedSecrets.getJavaLangAccess(): "
                + attempt(() -> Class.forName("jdk.internal.access.SharedSecrets").getMethod("getJavaLangAccess").invoke(null)));
        say("Modules.addExports made callable: " + attempt(() -> {
            Class.forName("jdk.internal.module.Modules").getMethod("addExports", Module.class, String.class).setAccessible(true);
            return "accessible";
        }));
        say("ThreadImpl.getThreadAllocatedMemory0 made callable: " + attempt(() -> {
            Class.forName("sun.management.ThreadImpl").getDeclaredMethod("getThreadAllocatedMemory0", long.class).setAccessible(true);
            return "accessible";
        }));
        if (args.length > 0 && args[0].equals("hook")) {
            Class<?> hook = Class.forName(AllocLineAgent.HOOK, false, null);
            Module m = hook.getModule();
            say("hook module: " + m.getName() + ", defined to " + (m.getClassLoader() == null ? "the bootstrap loader" : m.getClassLoader())
                    + ", opens its package to the class path: " + m.isOpen(hook.getPackageName(), InternalsProbe.class.getModule()));
            for (Field f : hook.getDeclaredFields()) {
                say("hook field " + f.getName() + " (" + f.getType().getSimpleName() + ") taken: " + attempt(() -> {
                    f.setAccessible(true);
                    return f.get(null);
                }));
            }
            say("a private lookup in the hook's class: " + attempt(() -> MethodHandles.privateLookupIn(hook, MethodHandles.lookup())));
            long[] read = new long[1];
            Thread vt = Thread.ofVirtual().start(() -> {
                dev.allocline.internal.meter.ThreadAllocationCounter counter = dev.allocline.internal.meter.ThreadAllocationCounter.platform();
                long before = counter.currentThreadAllocatedBytes();
                Work.allocate(1 << 20);
                Thread.yield();
                read[0] = before < 0 ? -1 : counter.currentThreadAllocatedBytes() - before;
            });
            vt.join();
            say("a virtual thread allocating 1 MiB read " + read[0]);
        }
    }

    private static void say(String line) {
        System.out.println("probe: " + line);
    }

    /** One try at something a class on the class path should not be able to do. */
    private interface Attempt {
        Object run() throws Throwable;
    }

    private static String attempt(Attempt a) {
        try {
            Object got = a.run();
            return "GRANTED: " + (got == null ? "null" : got.getClass().getName());
        } catch (InvocationTargetException e) {
            return "denied: " + e.getCause().getClass().getName();
        } catch (Throwable t) {
            return "denied: " + t.getClass().getName();
        }
    }
}
