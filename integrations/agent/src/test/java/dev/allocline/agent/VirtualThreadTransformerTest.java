package dev.allocline.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * The transformer changes {@code java.lang.VirtualThread} only when it has the shape the hooks rely on, and
 * otherwise leaves it as it is and says why: a JDK whose virtual threads are built differently gets no hooks
 * rather than hooks in the wrong place.
 */
class VirtualThreadTransformerTest {

    static final String VT = "java/lang/VirtualThread";

    static byte[] thisJdksVirtualThread() throws Exception {
        try (InputStream in = Object.class.getResourceAsStream("/java/lang/VirtualThread.class")) {
            assertNotNull(in, "this JDK has java.lang.VirtualThread");
            return in.readAllBytes();
        }
    }

    /** A {@code VirtualThread} of another shape: {@code runContinuation} calls what {@code calls} names, in order. */
    static byte[] foreignVirtualThread(boolean withUnmount, boolean withCont, String... calls) {
        ClassWriter w = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        w.visit(Opcodes.V21, Opcodes.ACC_FINAL, VT, null, "java/lang/Thread", null);
        if (withCont) {
            w.visitField(Opcodes.ACC_PRIVATE, "cont", "Ljdk/internal/vm/Continuation;", null, null).visitEnd();
        }
        emptyMethod(w, "mount");
        if (withUnmount) {
            emptyMethod(w, "unmount");
        }
        MethodVisitor m = w.visitMethod(Opcodes.ACC_PRIVATE, "runContinuation", "()V", null, null);
        m.visitCode();
        for (String call : calls) {
            m.visitVarInsn(Opcodes.ALOAD, 0);
            if (call.equals("run")) {
                m.visitFieldInsn(Opcodes.GETFIELD, VT, "cont", "Ljdk/internal/vm/Continuation;");
                m.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jdk/internal/vm/Continuation", "run", "()V", false);
            } else {
                m.visitMethodInsn(Opcodes.INVOKEVIRTUAL, VT, call, "()V", false);
            }
        }
        m.visitInsn(Opcodes.RETURN);
        m.visitMaxs(0, 0);
        m.visitEnd();
        w.visitEnd();
        return w.toByteArray();
    }

    private static void emptyMethod(ClassWriter w, String name) {
        MethodVisitor m = w.visitMethod(Opcodes.ACC_PRIVATE, name, "()V", null, null);
        m.visitCode();
        m.visitInsn(Opcodes.RETURN);
        m.visitMaxs(0, 0);
        m.visitEnd();
    }

    @Test
    void thisJdksVirtualThreadGetsTheHooks() throws Exception {
        VirtualThreadTransformer t = new VirtualThreadTransformer();
        byte[] out = t.transform(null, VT, null, null, thisJdksVirtualThread());
        assertNotNull(out, t.problem());
        assertTrue(t.applied());
    }

    @Test
    void aShapeWithTheCallsInTheExpectedOrderGetsTheHooks() {
        VirtualThreadTransformer t = new VirtualThreadTransformer();
        assertNotNull(t.transform(null, VT, null, null, foreignVirtualThread(true, true, "mount", "run", "unmount")),
                t.problem());
        assertTrue(t.applied());
    }

    @Test
    void aVirtualThreadWithoutUnmountIsLeftAloneAndTheReasonSaid() {
        assertLeftAlone(foreignVirtualThread(false, true, "mount", "run"), "no unmount()");
    }

    @Test
    void aVirtualThreadWithoutItsContinuationFieldIsLeftAlone() {
        assertLeftAlone(foreignVirtualThread(true, false, "mount", "unmount"), "no Continuation field cont");
    }

    @Test
    void aRunContinuationThatUnmountsBeforeItRunsIsLeftAlone() {
        assertLeftAlone(foreignVirtualThread(true, true, "unmount", "run", "mount"),
                "does not call mount(), cont.run(), unmount() in that order");
    }

    @Test
    void otherClassesAndOtherLoadersAreNeverTouched() throws Exception {
        VirtualThreadTransformer t = new VirtualThreadTransformer();
        byte[] vt = thisJdksVirtualThread();
        assertNull(t.transform(null, "java/lang/Thread", null, null, vt));
        assertNull(t.transform(getClass().getClassLoader(), VT, null, null, vt), "a class of that name elsewhere");
        assertFalse(t.applied());
    }

    @Test
    void garbageIsContainedNotThrown() {
        VirtualThreadTransformer t = new VirtualThreadTransformer();
        assertNull(t.transform(null, VT, null, null, new byte[] {1, 2, 3}));
        assertFalse(t.applied());
        assertTrue(t.problem().contains("nothing was installed"), t.problem());
    }

    private static void assertLeftAlone(byte[] classfile, String reason) {
        VirtualThreadTransformer t = new VirtualThreadTransformer();
        byte[] copy = classfile.clone();
        assertNull(t.transform(null, VT, null, null, classfile), "no change");
        assertArrayEquals(copy, classfile, "the bytes it was given are untouched");
        assertFalse(t.applied());
        assertTrue(t.problem().contains(reason) && t.problem().contains("nothing was installed"), t.problem());
    }
}
