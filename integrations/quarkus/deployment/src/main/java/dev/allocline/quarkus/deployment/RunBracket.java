package dev.allocline.quarkus.deployment;

import io.quarkus.gizmo.Gizmo;
import org.jboss.logging.Logger;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Gives Quarkus REST's request context a field for the request's accounting ({@code RequestCarrier}) and a
 * {@code run()} of its own:
 * {@code Object t = RunHooks.enter(this); try { super.run(); } finally { RunHooks.exit(this, t); }}.
 * If the class already declares {@code run()} (a Quarkus REST this was not written against) it is left
 * untouched and the build says so: lines are then still written, with the event loop's share only.
 */
final class RunBracket extends ClassVisitor {

    static final String CONTEXT = "io.quarkus.resteasy.reactive.server.runtime.QuarkusResteasyReactiveRequestContext";
    private static final String HOOKS = "dev/allocline/quarkus/runtime/RunHooks";
    private static final Logger LOG = Logger.getLogger(RunBracket.class);

    private String superName;
    private String name;
    private boolean declaresRun;

    RunBracket(ClassVisitor next) {
        super(Gizmo.ASM_API_VERSION, next);
    }

    @Override
    public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
        this.superName = superName;
        this.name = name;
        super.visit(version, access, name, signature, superName, Carrier.withInterface(interfaces));
    }

    @Override
    public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
        if (name.equals("run") && descriptor.equals("()V")) {
            declaresRun = true;
        }
        return super.visitMethod(access, name, descriptor, signature, exceptions);
    }

    @Override
    public void visitEnd() {
        if (declaresRun) {
            LOG.warnf("allocline: %s already declares run(); its runs are not followed, so only the event loop's "
                    + "first stretch of each request is counted", CONTEXT);
        } else {
            writeRun();
        }
        Carrier.write(getDelegate(), name);
        super.visitEnd();
    }

    private void writeRun() {
        MethodVisitor m = super.visitMethod(Opcodes.ACC_PUBLIC, "run", "()V", null, null);
        m.visitCode();
        Label start = new Label();
        Label end = new Label();
        Label handler = new Label();
        m.visitTryCatchBlock(start, end, handler, null);
        m.visitVarInsn(Opcodes.ALOAD, 0);
        m.visitMethodInsn(Opcodes.INVOKESTATIC, HOOKS, "enter", "(Ljava/lang/Object;)Ljava/lang/Object;", false);
        m.visitVarInsn(Opcodes.ASTORE, 1);
        m.visitLabel(start);
        m.visitVarInsn(Opcodes.ALOAD, 0);
        m.visitMethodInsn(Opcodes.INVOKESPECIAL, superName, "run", "()V", false);
        m.visitLabel(end);
        m.visitVarInsn(Opcodes.ALOAD, 0);
        m.visitVarInsn(Opcodes.ALOAD, 1);
        m.visitMethodInsn(Opcodes.INVOKESTATIC, HOOKS, "exit", "(Ljava/lang/Object;Ljava/lang/Object;)V", false);
        m.visitInsn(Opcodes.RETURN);
        m.visitLabel(handler);
        m.visitFrame(Opcodes.F_FULL, 2, new Object[] {CONTEXT.replace('.', '/'), "java/lang/Object"}, 1,
                new Object[] {"java/lang/Throwable"});
        m.visitVarInsn(Opcodes.ASTORE, 2);
        m.visitVarInsn(Opcodes.ALOAD, 0);
        m.visitVarInsn(Opcodes.ALOAD, 1);
        m.visitMethodInsn(Opcodes.INVOKESTATIC, HOOKS, "exit", "(Ljava/lang/Object;Ljava/lang/Object;)V", false);
        m.visitVarInsn(Opcodes.ALOAD, 2);
        m.visitInsn(Opcodes.ATHROW);
        m.visitMaxs(2, 3);
        m.visitEnd();
    }
}
