package dev.allocline.agent;

import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.FieldVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Puts the hooks at the start of {@code java.lang.VirtualThread.mount()} and {@code unmount()}, after
 * checking that the class has the shape they rely on (read in JDK 25's source, and JDK 21's has the same):
 * {@code runContinuation()} calls {@code mount()}, then {@code cont.run()}, then {@code unmount()}, so
 * {@code mount()} starts on the carrier before the virtual thread runs and {@code unmount()} starts on the
 * carrier after it stopped (yielded or finished: {@code cont.isDone()}). Any other shape: no change.
 * Called by the JVM on the thread that retransforms; {@link #applied()} afterwards.
 */
final class VirtualThreadTransformer implements ClassFileTransformer {

    private static final String VIRTUAL_THREAD = "java/lang/VirtualThread";
    private static final String CONTINUATION = "jdk/internal/vm/Continuation";
    private static final String HOOK = AllocLineAgent.HOOK.replace('.', '/');

    private volatile boolean applied;
    private volatile String problem = "java.lang.VirtualThread was never offered for transformation";

    boolean applied() {
        return applied;
    }

    String problem() {
        return problem;
    }

    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> redefined, ProtectionDomain domain,
            byte[] classfile) {
        if (loader != null || !VIRTUAL_THREAD.equals(className)) {
            return null;
        }
        try {
            ClassReader reader = new ClassReader(classfile);
            Shape shape = new Shape();
            reader.accept(shape, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
            String missing = shape.missing();
            if (missing != null) {
                applied = false;
                problem = "java.lang.VirtualThread of this JDK (" + Runtime.version()
                        + ") does not have the shape the hooks need (" + missing + "), so nothing was installed";
                return null;
            }
            // Only instructions are added at method entry, with no new locals or branches: the existing
            // stack map frames stay valid, so frames need no recomputation (which would load classes).
            ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
            reader.accept(new Hooks(writer), 0);
            byte[] out = writer.toByteArray();
            applied = true;
            return out;
        } catch (Throwable t) {
            applied = false;
            problem = "transforming java.lang.VirtualThread failed (" + t + "), so nothing was installed";
            return null;
        }
    }

    /** Checks the shape: the methods, the field, and what runContinuation calls in which order. */
    private static final class Shape extends ClassVisitor {
        boolean mount;
        boolean unmount;
        boolean contField;
        /** 0: nothing seen in runContinuation; 1: mount(); 2: then cont.run(); 3: then unmount(). */
        int order;

        Shape() {
            super(Opcodes.ASM9);
        }

        @Override
        public FieldVisitor visitField(int access, String name, String descriptor, String signature, Object value) {
            if ("cont".equals(name) && ("L" + CONTINUATION + ";").equals(descriptor) && (access & Opcodes.ACC_STATIC) == 0) {
                contField = true;
            }
            return null;
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
            boolean instance = (access & Opcodes.ACC_STATIC) == 0;
            if ("mount".equals(name) && "()V".equals(descriptor) && instance) {
                mount = true;
            } else if ("unmount".equals(name) && "()V".equals(descriptor) && instance) {
                unmount = true;
            } else if ("runContinuation".equals(name) && "()V".equals(descriptor)) {
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String method, String desc, boolean itf) {
                        if (order == 0 && VIRTUAL_THREAD.equals(owner) && "mount".equals(method) && "()V".equals(desc)) {
                            order = 1;
                        } else if (order == 1 && "run".equals(method) && "()V".equals(desc)
                                && (CONTINUATION.equals(owner) || owner.startsWith("java/lang/VirtualThread$"))) {
                            order = 2;
                        } else if (order == 2 && VIRTUAL_THREAD.equals(owner) && "unmount".equals(method) && "()V".equals(desc)) {
                            order = 3;
                        }
                    }
                };
            }
            return null;
        }

        String missing() {
            if (!mount) {
                return "no mount()";
            }
            if (!unmount) {
                return "no unmount()";
            }
            if (!contField) {
                return "no Continuation field cont";
            }
            if (order != 3) {
                return "runContinuation() does not call mount(), cont.run(), unmount() in that order";
            }
            return null;
        }
    }

    /** Adds {@code Hook.mount(this)} to mount() and {@code Hook.unmount(this, cont.isDone())} to unmount(). */
    private static final class Hooks extends ClassVisitor {
        Hooks(ClassVisitor next) {
            super(Opcodes.ASM9, next);
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
            MethodVisitor mv = super.visitMethod(access, name, descriptor, signature, exceptions);
            if (!"()V".equals(descriptor) || (access & Opcodes.ACC_STATIC) != 0) {
                return mv;
            }
            if ("mount".equals(name)) {
                return new MethodVisitor(Opcodes.ASM9, mv) {
                    @Override
                    public void visitCode() {
                        super.visitCode();
                        super.visitVarInsn(Opcodes.ALOAD, 0);
                        super.visitMethodInsn(Opcodes.INVOKESTATIC, HOOK, "mount", "(Ljava/lang/Thread;)V", false);
                    }
                };
            }
            if ("unmount".equals(name)) {
                return new MethodVisitor(Opcodes.ASM9, mv) {
                    @Override
                    public void visitCode() {
                        super.visitCode();
                        super.visitVarInsn(Opcodes.ALOAD, 0);
                        super.visitVarInsn(Opcodes.ALOAD, 0);
                        super.visitFieldInsn(Opcodes.GETFIELD, VIRTUAL_THREAD, "cont", "L" + CONTINUATION + ";");
                        super.visitMethodInsn(Opcodes.INVOKEVIRTUAL, CONTINUATION, "isDone", "()Z", false);
                        super.visitMethodInsn(Opcodes.INVOKESTATIC, HOOK, "unmount", "(Ljava/lang/Thread;Z)V", false);
                    }
                };
            }
            return mv;
        }
    }
}
