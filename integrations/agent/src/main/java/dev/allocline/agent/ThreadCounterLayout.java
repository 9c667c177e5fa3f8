package dev.allocline.agent;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where HotSpot keeps a thread's allocated-bytes counter, so that the hooks can read the carrier's counter
 * with three memory loads instead of a JNI call into the management library (~10-35 ns each, two per
 * unmount/mount pair: most of the hooks' cost).
 *
 * <p>HotSpot describes its own structures in the {@code gHotSpotVMStructs} table that libjvm exports for the
 * serviceability agent: {@code Thread::_allocated_bytes} (bytes of retired TLABs and of allocations outside a
 * TLAB), {@code Thread::_tlab} and the TLAB's {@code _start} and {@code _top} (the current TLAB's used part is
 * {@code top - start}). A Java thread's {@code eetop} field holds the address of its {@code JavaThread}. This
 * class finds the table through libjvm's dynamic symbols (its ELF file and where it is mapped, from
 * {@code /proc/self/maps}), reads the four offsets and hands them to the hooks as a system property, which
 * check them against the JNI read before using them (see {@code VirtualThreadCounters}). Linux only; anything
 * unexpected (another OS or VM, a missing symbol or field, an offset out of range) returns a reason and the
 * hooks keep the JNI read. It only ever reads memory the table points into, inside libjvm's data.
 */
final class ThreadCounterLayout {

    /** The property the hooks read the offsets from (and remove): {@code eetop,allocated,tlabStart,tlabTop}. */
    static final String PROPERTY = "dev.allocline.agent.threadCounterLayout";

    private static final String LIBJVM = "/libjvm.so";
    private static final int MAX_ENTRIES = 100_000;
    private static final int MAX_NAME = 256;
    /** No field of HotSpot's Thread or TLAB lies this far in. */
    private static final long MAX_OFFSET = 1 << 16;

    private ThreadCounterLayout() {
    }

    /**
     * Finds the offsets and sets {@link #PROPERTY}; returns null when it did, else why not (the hooks then use
     * the JNI read, which is exact too, only slower).
     */
    static String publish() {
        try {
            String value = find();
            if (value.startsWith("!")) {
                return value.substring(1);
            }
            System.setProperty(PROPERTY, value);
            return null;
        } catch (Throwable t) {
            return "reading HotSpot's structure table failed (" + t + ")";
        }
    }

    /** The property's value, or "!" and a reason. */
    private static String find() throws Throwable {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return "!not Linux";
        }
        if (!System.getProperty("java.vm.name", "").contains("HotSpot") && !System.getProperty("java.vm.name", "").contains("OpenJDK")) {
            return "!not HotSpot (" + System.getProperty("java.vm.name") + ")";
        }
        Path lib = null;
        long base = -1;
        List<String> maps = Files.readAllLines(Path.of("/proc/self/maps"));
        for (String line : maps) {
            if (!line.endsWith(LIBJVM)) {
                continue;
            }
            String[] f = line.trim().split("\\s+");
            if (f.length >= 6 && Long.parseUnsignedLong(f[2], 16) == 0) {
                base = Long.parseUnsignedLong(f[0].substring(0, f[0].indexOf('-')), 16);
                lib = Path.of(f[5]);
                break;
            }
        }
        if (lib == null) {
            return "!libjvm.so is not in /proc/self/maps";
        }
        Map<String, Long> symbols = symbols(lib, base, List.of("gHotSpotVMStructs", "gHotSpotVMStructEntryTypeNameOffset",
                "gHotSpotVMStructEntryFieldNameOffset", "gHotSpotVMStructEntryOffsetOffset",
                "gHotSpotVMStructEntryIsStaticOffset", "gHotSpotVMStructEntryArrayStride"));
        if (symbols.size() != 6) {
            return "!libjvm.so does not export the structure table's symbols (found " + symbols.keySet() + ")";
        }
        Memory m = new Memory();
        long table = m.getLong(symbols.get("gHotSpotVMStructs"));
        long typeName = m.getLong(symbols.get("gHotSpotVMStructEntryTypeNameOffset"));
        long fieldName = m.getLong(symbols.get("gHotSpotVMStructEntryFieldNameOffset"));
        long offset = m.getLong(symbols.get("gHotSpotVMStructEntryOffsetOffset"));
        long isStatic = m.getLong(symbols.get("gHotSpotVMStructEntryIsStaticOffset"));
        long stride = m.getLong(symbols.get("gHotSpotVMStructEntryArrayStride"));
        if (table == 0 || stride <= 0 || stride > 256 || typeName >= stride || fieldName >= stride || offset >= stride
                || isStatic >= stride) {
            return "!the structure table's layout is not plausible";
        }
        Map<String, Long> wanted = new HashMap<>();
        for (int i = 0; i < MAX_ENTRIES; i++) {
            long entry = table + i * stride;
            long type = m.getLong(entry + typeName);
            if (type == 0) {
                break;
            }
            String t = m.string(type);
            if (!"Thread".equals(t) && !"ThreadLocalAllocBuffer".equals(t)) {
                continue;
            }
            long field = m.getLong(entry + fieldName);
            if (field == 0 || m.getInt(entry + isStatic) != 0) {
                continue;
            }
            String key = t + "::" + m.string(field);
            if (key.equals("Thread::_allocated_bytes") || key.equals("Thread::_tlab")
                    || key.equals("ThreadLocalAllocBuffer::_start") || key.equals("ThreadLocalAllocBuffer::_top")) {
                wanted.put(key, m.getLong(entry + offset));
            }
        }
        if (wanted.size() != 4) {
            return "!HotSpot's structure table does not describe the allocation counter (found " + wanted.keySet() + ")";
        }
        for (Map.Entry<String, Long> e : wanted.entrySet()) {
            long o = e.getValue(); // a TLAB's own fields may start at 0; a Thread's are past its header
            if (o < (e.getKey().startsWith("Thread::") ? 8 : 0) || o >= MAX_OFFSET) {
                return "!an offset in HotSpot's structure table is not plausible (" + wanted + ")";
            }
        }
        long eetop = m.objectFieldOffset(Thread.class, "eetop");
        long tlab = wanted.get("Thread::_tlab");
        return eetop + "," + wanted.get("Thread::_allocated_bytes") + ","
                + (tlab + wanted.get("ThreadLocalAllocBuffer::_start")) + "," + (tlab + wanted.get("ThreadLocalAllocBuffer::_top"));
    }

    /** The run-time addresses of {@code names} among the dynamic symbols of the ELF64 file {@code lib} mapped at {@code base}. */
    static Map<String, Long> symbols(Path lib, long base, List<String> names) throws IOException {
        Map<String, Long> found = new HashMap<>();
        try (FileChannel ch = FileChannel.open(lib, StandardOpenOption.READ)) {
            ByteBuffer h = read(ch, 0, 64);
            if (h.getInt(0) != 0x464c457f || h.get(4) != 2 || h.get(5) != 1) {
                throw new IOException(lib + " is not a little-endian ELF64 file");
            }
            long phoff = h.getLong(32);
            long shoff = h.getLong(40);
            int phentsize = h.getShort(54) & 0xffff;
            int phnum = h.getShort(56) & 0xffff;
            int shentsize = h.getShort(58) & 0xffff;
            int shnum = h.getShort(60) & 0xffff;
            // The load bias: where the file's first loadable segment (file offset 0) landed, minus its address.
            long bias = Long.MIN_VALUE;
            ByteBuffer ph = read(ch, phoff, phentsize * phnum);
            for (int i = 0; i < phnum; i++) {
                int p = i * phentsize;
                if (ph.getInt(p) == 1) { // PT_LOAD
                    bias = base - (ph.getLong(p + 16) - ph.getLong(p + 8));
                    break;
                }
            }
            if (bias == Long.MIN_VALUE) {
                throw new IOException(lib + " has no loadable segment");
            }
            ByteBuffer sh = read(ch, shoff, shentsize * shnum);
            for (int i = 0; i < shnum; i++) {
                int s = i * shentsize;
                if (sh.getInt(s + 4) != 11) { // SHT_DYNSYM
                    continue;
                }
                ByteBuffer syms = read(ch, sh.getLong(s + 24), sh.getLong(s + 32));
                int link = sh.getInt(s + 40);
                int l = link * shentsize;
                ByteBuffer strs = read(ch, sh.getLong(l + 24), sh.getLong(l + 32));
                long entsize = Math.max(24, sh.getLong(s + 56));
                for (long e = 0; e + 24 <= syms.capacity(); e += entsize) {
                    int name = syms.getInt((int) e);
                    long value = syms.getLong((int) e + 8);
                    if (value == 0 || name <= 0 || name >= strs.capacity()) {
                        continue;
                    }
                    String n = cString(strs, name);
                    if (names.contains(n)) {
                        found.put(n, bias + value);
                    }
                }
            }
        }
        return found;
    }

    private static ByteBuffer read(FileChannel ch, long at, long length) throws IOException {
        if (length < 0 || length > (64 << 20)) {
            throw new IOException("implausible ELF section length " + length);
        }
        ByteBuffer b = ByteBuffer.allocate((int) length).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, at + b.position()) < 0) {
                throw new IOException("ELF file ends early");
            }
        }
        return b.flip();
    }

    private static String cString(ByteBuffer b, int at) {
        int end = at;
        while (end < b.capacity() && b.get(end) != 0 && end - at < MAX_NAME) {
            end++;
        }
        byte[] bytes = new byte[end - at];
        b.get(at, bytes);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    /** Reads of libjvm's memory through {@code jdk.internal.misc.Unsafe} (exported to this module by the agent). */
    private static final class Memory {
        private final Object unsafe;
        private final MethodHandle getLong;
        private final MethodHandle getInt;
        private final MethodHandle getByte;
        private final MethodHandle fieldOffset;

        Memory() throws Throwable {
            Class<?> c = Class.forName("jdk.internal.misc.Unsafe");
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            unsafe = lookup.findStatic(c, "getUnsafe", MethodType.methodType(c)).invoke();
            getLong = lookup.findVirtual(c, "getLong", MethodType.methodType(long.class, long.class));
            getInt = lookup.findVirtual(c, "getInt", MethodType.methodType(int.class, long.class));
            getByte = lookup.findVirtual(c, "getByte", MethodType.methodType(byte.class, long.class));
            fieldOffset = lookup.findVirtual(c, "objectFieldOffset", MethodType.methodType(long.class, Class.class, String.class));
        }

        long getLong(long address) throws Throwable {
            return (long) getLong.invoke(unsafe, address);
        }

        int getInt(long address) throws Throwable {
            return (int) getInt.invoke(unsafe, address);
        }

        long objectFieldOffset(Class<?> c, String name) throws Throwable {
            return (long) fieldOffset.invoke(unsafe, c, name);
        }

        String string(long address) throws Throwable {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < MAX_NAME; i++) {
                byte b = (byte) getByte.invoke(unsafe, address + i);
                if (b == 0) {
                    return sb.toString();
                }
                sb.append((char) b);
            }
            return sb.toString();
        }
    }
}
