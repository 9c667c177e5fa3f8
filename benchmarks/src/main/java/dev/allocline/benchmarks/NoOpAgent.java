package dev.allocline.benchmarks;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;

/**
 * An agent that does nothing but be one ({@code -javaagent:benchmarks.jar}; with {@code =retransform} it also
 * retransforms {@code java.lang.VirtualThread} with a transformer that changes nothing, as allocline's agent
 * does with one that adds its hooks). It separates what any Java agent costs a virtual thread's mount and
 * unmount (the JVM's JVMTI machinery) from what allocline's hooks add.
 */
public final class NoOpAgent {

    private NoOpAgent() {
    }

    public static void premain(String args, Instrumentation inst) throws Exception {
        if ("retransform".equals(args)) {
            ClassFileTransformer unchanged = new ClassFileTransformer() {
            };
            inst.addTransformer(unchanged, true);
            try {
                inst.retransformClasses(Class.forName("java.lang.VirtualThread"));
            } finally {
                inst.removeTransformer(unchanged);
            }
        }
    }
}
