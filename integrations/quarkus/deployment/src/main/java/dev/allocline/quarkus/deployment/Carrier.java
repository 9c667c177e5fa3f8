package dev.allocline.quarkus.deployment;

import java.util.Arrays;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * What both transforms give the class they change: {@code RequestCarrier} (the runtime's interface), a volatile field
 * behind it, and its two methods, so the class can carry a request's accounting for the hooks it calls.
 */
final class Carrier {

    static final String INTERFACE = "dev/allocline/quarkus/runtime/RequestCarrier";
    static final String FIELD = "allocline$request";
    static final String TYPE = "Ljava/lang/Object;";

    private Carrier() {
    }

    /** {@code interfaces} with {@code RequestCarrier} added. */
    static String[] withInterface(String[] interfaces) {
        String[] out = Arrays.copyOf(interfaces == null ? new String[0] : interfaces,
                interfaces == null ? 1 : interfaces.length + 1);
        out[out.length - 1] = INTERFACE;
        return out;
    }

    /** Writes the field and {@code RequestCarrier}'s getter and setter into {@code owner} through {@code next}. */
    static void write(ClassVisitor next, String owner) {
        next.visitField(Opcodes.ACC_PRIVATE | Opcodes.ACC_VOLATILE, FIELD, TYPE, null, null).visitEnd();
        MethodVisitor get = next.visitMethod(Opcodes.ACC_PUBLIC, FIELD, "()" + TYPE, null, null);
        get.visitCode();
        get.visitVarInsn(Opcodes.ALOAD, 0);
        get.visitFieldInsn(Opcodes.GETFIELD, owner, FIELD, TYPE);
        get.visitInsn(Opcodes.ARETURN);
        get.visitMaxs(1, 1);
        get.visitEnd();
        MethodVisitor set = next.visitMethod(Opcodes.ACC_PUBLIC, FIELD, "(" + TYPE + ")V", null, null);
        set.visitCode();
        set.visitVarInsn(Opcodes.ALOAD, 0);
        set.visitVarInsn(Opcodes.ALOAD, 1);
        set.visitFieldInsn(Opcodes.PUTFIELD, owner, FIELD, TYPE);
        set.visitInsn(Opcodes.RETURN);
        set.visitMaxs(2, 2);
        set.visitEnd();
    }
}
