package dev.allocline.quarkus.deployment;

import io.quarkus.gizmo.Gizmo;
import org.jboss.logging.Logger;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Gives Vert.x's duplicated context a field for a request's accounting ({@code RequestCarrier}) and its own
 * {@code beginDispatch()} and {@code endDispatch(previous)}, which the interface {@code ContextInternal} otherwise
 * supplies as default methods:
 * <pre>
 * ContextInternal beginDispatch() { ContextInternal p = ContextInternal.super.beginDispatch(); Object r = this.allocline$request; if (r != null) DispatchHooks.begin(r); return p; }
 * void endDispatch(ContextInternal p) { Object r = this.allocline$request; if (r != null) DispatchHooks.end(r); ContextInternal.super.endDispatch(p); }
 * </pre>
 * Why there: every dispatch Vert.x 4.5 makes on a context, whoever makes it ({@code dispatch}, {@code emit} for
 * timers and connections, {@code runOnContext}, future listeners, the HTTP server's request handler, blocking code
 * on a worker thread), calls these two methods of the context it dispatches on, and a duplicated context answers
 * them itself only here: event-loop and worker contexts ({@code ContextImpl}) are not touched, so their dispatches
 * cost nothing, and a duplicated one carrying no request costs one field read. The hook begins after Vert.x made
 * the context current (so the request id goes into the context's own MDC) and ends before it restores the previous.
 * If the class already declares either method (a Vert.x this was not written against) it is left untouched and
 * the build says so: lines are then still written, without the request's callbacks outside its handler chain.
 */
final class DispatchBracket extends ClassVisitor {

    static final String CONTEXT = "io.vertx.core.impl.DuplicatedContext";
    private static final String CONTEXT_INTERNAL = "io/vertx/core/impl/ContextInternal";
    private static final String CONTEXT_INTERNAL_TYPE = "L" + CONTEXT_INTERNAL + ";";
    private static final String HOOKS = "dev/allocline/quarkus/runtime/DispatchHooks";
    private static final Logger LOG = Logger.getLogger(DispatchBracket.class);

    private String name;
    private boolean declaresDispatch;
    private boolean implementsContextInternal;

    DispatchBracket(ClassVisitor next) {
        super(Gizmo.ASM_API_VERSION, next);
    }

    @Override
    public void visit(int version, int access, String name, String signature, String superName, String[] interfaces) {
        this.name = name;
        implementsContextInternal = interfaces != null && java.util.Arrays.asList(interfaces).contains(CONTEXT_INTERNAL);
        super.visit(version, access, name, signature, superName, Carrier.withInterface(interfaces));
    }

    @Override
    public MethodVisitor visitMethod(int access, String name, String descriptor, String signature, String[] exceptions) {
        if ((name.equals("beginDispatch") && descriptor.equals("()" + CONTEXT_INTERNAL_TYPE))
                || (name.equals("endDispatch") && descriptor.equals("(" + CONTEXT_INTERNAL_TYPE + ")V"))) {
            declaresDispatch = true;
        }
        return super.visitMethod(access, name, descriptor, signature, exceptions);
    }

    @Override
    public void visitEnd() {
        if (declaresDispatch || !implementsContextInternal) {
            LOG.warnf("allocline: %s is not the class this extension was written against (it declares beginDispatch or "
                    + "endDispatch, or does not implement ContextInternal); dispatches on a request's Vert.x context are "
                    + "not followed, so its callbacks outside the handler chain are not counted", CONTEXT);
        } else {
            writeBegin();
            writeEnd();
        }
        Carrier.write(getDelegate(), name);
        super.visitEnd();
    }

    private void writeBegin() {
        MethodVisitor m = super.visitMethod(Opcodes.ACC_PUBLIC, "beginDispatch", "()" + CONTEXT_INTERNAL_TYPE, null, null);
        m.visitCode();
        m.visitVarInsn(Opcodes.ALOAD, 0);
        m.visitMethodInsn(Opcodes.INVOKESPECIAL, CONTEXT_INTERNAL, "beginDispatch", "()" + CONTEXT_INTERNAL_TYPE, true);
        m.visitVarInsn(Opcodes.ASTORE, 1);
        m.visitVarInsn(Opcodes.ALOAD, 0);
        m.visitFieldInsn(Opcodes.GETFIELD, name, Carrier.FIELD, Carrier.TYPE);
        m.visitVarInsn(Opcodes.ASTORE, 2);
        m.visitVarInsn(Opcodes.ALOAD, 2);
        Label none = new Label();
        m.visitJumpInsn(Opcodes.IFNULL, none);
        m.visitVarInsn(Opcodes.ALOAD, 2);
        m.visitMethodInsn(Opcodes.INVOKESTATIC, HOOKS, "begin", "(" + Carrier.TYPE + ")V", false);
        m.visitLabel(none);
        m.visitFrame(Opcodes.F_FULL, 3, new Object[] {name, CONTEXT_INTERNAL, "java/lang/Object"}, 0, new Object[0]);
        m.visitVarInsn(Opcodes.ALOAD, 1);
        m.visitInsn(Opcodes.ARETURN);
        m.visitMaxs(1, 3);
        m.visitEnd();
    }

    private void writeEnd() {
        MethodVisitor m = super.visitMethod(Opcodes.ACC_PUBLIC, "endDispatch", "(" + CONTEXT_INTERNAL_TYPE + ")V", null, null);
        m.visitCode();
        m.visitVarInsn(Opcodes.ALOAD, 0);
        m.visitFieldInsn(Opcodes.GETFIELD, name, Carrier.FIELD, Carrier.TYPE);
        m.visitVarInsn(Opcodes.ASTORE, 2);
        m.visitVarInsn(Opcodes.ALOAD, 2);
        Label none = new Label();
        m.visitJumpInsn(Opcodes.IFNULL, none);
        m.visitVarInsn(Opcodes.ALOAD, 2);
        m.visitMethodInsn(Opcodes.INVOKESTATIC, HOOKS, "end", "(" + Carrier.TYPE + ")V", false);
        m.visitLabel(none);
        m.visitFrame(Opcodes.F_FULL, 3, new Object[] {name, CONTEXT_INTERNAL, "java/lang/Object"}, 0, new Object[0]);
        m.visitVarInsn(Opcodes.ALOAD, 0);
        m.visitVarInsn(Opcodes.ALOAD, 1);
        m.visitMethodInsn(Opcodes.INVOKESPECIAL, CONTEXT_INTERNAL, "endDispatch", "(" + CONTEXT_INTERNAL_TYPE + ")V", true);
        m.visitInsn(Opcodes.RETURN);
        m.visitMaxs(2, 3);
        m.visitEnd();
    }
}
