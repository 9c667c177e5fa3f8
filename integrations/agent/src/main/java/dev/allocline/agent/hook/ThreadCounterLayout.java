package dev.allocline.agent.hook;

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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where HotSpot keeps a thread's allocated-bytes counter, so that the hooks can read the carrier's counter
 * with a few memory loads instead of a JNI call into the management library (~10-35 ns each, two per
 * unmount/mount pair: most of the hooks' cost). Found once, by {@link VirtualThreadCounters}' initialiser.
 *
 * <p>HotSpot describes its own structures in the {@code gHotSpotVMStructs} table that libjvm exports for the
 * serviceability agent: {@code Thread::_allocated_bytes} (bytes of retired TLABs and of allocations outside a
 * TLAB), {@code Thread::_tlab} and the TLAB's {@code _start} and {@code _top} (the current TLAB's used part is
 * {@code top - start}). A Java thread's {@code eetop} field holds the address of its {@code JavaThread}. This
 * class finds the table through libjvm's dynamic symbols (its ELF file and where it is mapped, from
 * {@code /proc/self/maps}) and reads the four offsets. Linux only; anything unexpected (another OS or VM, a
 * missing symbol or field, an offset out of range) gives a reason and the hooks keep the JNI read.
 *
 * <p>The file is proved to be the mapped one before any address taken from it is read: the bytes the symbols'
 * addresses come from (the ELF and program headers, the dynamic symbol table and its strings, the notes with the
 * build id) must equal what the kernel mapped from the same file offsets, at the addresses the file's headers
 * put them. By content, not by inode and device: an overlay file system (a container's) reports a device for the
 * mapping other than the one {@code stat} gives for the same file, while a library replaced on disk after the JVM
 * started (an upgrade) differs in content. And every read, the proof's own included, lies inside a readable
 * mapping of libjvm (or the anonymous one right after it, its {@code .bss}) as {@code /proc/self/maps} lists
 * them: the kernel's bounds, not the file's.
 */
final class ThreadCounterLayout {

    private static final String LIBJVM = "/libjvm.so";
    private static final int MAX_ENTRIES = 100_000;
    private static final int MAX_NAME = 256;
    /** No field of HotSpot's Thread or TLAB lies this far in. */
    private static final long MAX_OFFSET = 1 << 16;
    private static final List<String> SYMBOLS = List.of("gHotSpotVMStructs", "gHotSpotVMStructEntryTypeNameOffset",
            "gHotSpotVMStructEntryFieldNameOffset", "gHotSpotVMStructEntryOffsetOffset",
            "gHotSpotVMStructEntryIsStaticOffset", "gHotSpotVMStructEntryArrayStride");

    /** Offsets: from a {@code Thread} object to its {@code eetop}, and from a {@code JavaThread} to the three fields. */
    final long eetop;
    final long allocatedBytes;
    final long tlabStart;
    final long tlabTop;
    /** Why there is no layout, or null. */
    final String problem;

    private ThreadCounterLayout(long eetop, long allocatedBytes, long tlabStart, long tlabTop, String problem) {
        this.eetop = eetop;
        this.allocatedBytes = allocatedBytes;
        this.tlabStart = tlabStart;
        this.tlabTop = tlabTop;
        this.problem = problem;
    }

    private static ThreadCounterLayout unusable(String why) {
        return new ThreadCounterLayout(0, 0, 0, 0, why);
    }

    /** Reads of this process's memory; {@link UnsafeMemory} in the hooks, one that records its reads in the tests. */
    interface Memory {
        long getLong(long address) throws Throwable;

        int getInt(long address) throws Throwable;

        byte getByte(long address) throws Throwable;
    }

    /** The layout of this JVM, or why there is none (the hooks then read through JNI, which is exact too, only slower). */
    static ThreadCounterLayout find() {
        try {
            if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
                return unusable("not Linux");
            }
            String vm = System.getProperty("java.vm.name", "");
            if (!vm.contains("HotSpot") && !vm.contains("OpenJDK")) {
                return unusable("not HotSpot (" + vm + ")");
            }
            UnsafeMemory memory = new UnsafeMemory();
            return find(Files.readAllLines(Path.of("/proc/self/maps")), memory, memory.eetopOffset());
        } catch (Throwable t) {
            return unusable("reading HotSpot's structure table failed (" + t + ")");
        }
    }

    /**
     * The layout, from {@code maps} (the lines of {@code /proc/self/maps}), reading through {@code memory};
     * {@code eetop} is {@code Thread.eetop}'s offset.
     */
    static ThreadCounterLayout find(List<String> maps, Memory memory, long eetop) throws Throwable {
        Mapping libjvm = Mapping.of(maps);
        if (libjvm.problem != null) {
            return unusable(libjvm.problem);
        }
        Map<String, Long> symbols;
        try (FileChannel ch = FileChannel.open(libjvm.path, StandardOpenOption.READ)) {
            Elf elf = Elf.read(ch, libjvm.path);
            String notMapped = elf.provenMapped(ch, libjvm, memory);
            if (notMapped != null) {
                return unusable(notMapped);
            }
            symbols = elf.symbols(ch, SYMBOLS);
        }
        if (symbols.size() != SYMBOLS.size()) {
            return unusable("libjvm.so does not export the structure table's symbols (found " + symbols.keySet() + ")");
        }
        Reader m = new Reader(memory, libjvm);
        long table = m.getLong(symbols.get("gHotSpotVMStructs"));
        long typeName = m.getLong(symbols.get("gHotSpotVMStructEntryTypeNameOffset"));
        long fieldName = m.getLong(symbols.get("gHotSpotVMStructEntryFieldNameOffset"));
        long offset = m.getLong(symbols.get("gHotSpotVMStructEntryOffsetOffset"));
        long isStatic = m.getLong(symbols.get("gHotSpotVMStructEntryIsStaticOffset"));
        long stride = m.getLong(symbols.get("gHotSpotVMStructEntryArrayStride"));
        if (table == 0 || stride <= 0 || stride > 256 || typeName < 0 || typeName >= stride || fieldName < 0
                || fieldName >= stride || offset < 0 || offset >= stride || isStatic < 0 || isStatic >= stride) {
            return unusable("the structure table's layout is not plausible");
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
            return unusable("HotSpot's structure table does not describe the allocation counter (found " + wanted.keySet() + ")");
        }
        for (Map.Entry<String, Long> e : wanted.entrySet()) {
            long o = e.getValue(); // a TLAB's own fields may start at 0; a Thread's are past its header
            if (o < (e.getKey().startsWith("Thread::") ? 8 : 0) || o >= MAX_OFFSET) {
                return unusable("an offset in HotSpot's structure table is not plausible (" + wanted + ")");
            }
        }
        long tlab = wanted.get("Thread::_tlab");
        return new ThreadCounterLayout(eetop, wanted.get("Thread::_allocated_bytes"),
                tlab + wanted.get("ThreadLocalAllocBuffer::_start"), tlab + wanted.get("ThreadLocalAllocBuffer::_top"), null);
    }

    @Override
    public String toString() {
        return problem != null ? problem
                : "eetop " + eetop + ", allocated " + allocatedBytes + ", TLAB start " + tlabStart + ", top " + tlabTop;
    }

    /**
     * libjvm's mappings in this process, as {@code /proc/self/maps} lists them: each is {@code start, end, file
     * offset, readable}; an anonymous mapping right after one of them (its {@code .bss}) has file offset -1.
     */
    static final class Mapping {
        final Path path;
        final long base;
        final List<long[]> ranges;
        final String problem;

        private Mapping(Path path, long base, List<long[]> ranges, String problem) {
            this.path = path;
            this.base = base;
            this.ranges = ranges;
            this.problem = problem;
        }

        static Mapping of(List<String> maps) {
            String file = null;
            String identity = null;
            for (String line : maps) {
                String[] f = line.trim().split("\\s+", 6);
                if (f.length == 6 && f[5].endsWith(LIBJVM + " (deleted)")) {
                    return new Mapping(null, -1, List.of(), "the libjvm.so mapped in this process was deleted or replaced on disk");
                }
                if (f.length == 6 && f[5].endsWith(LIBJVM) && Long.parseUnsignedLong(f[2], 16) == 0) {
                    file = f[5];
                    identity = f[3] + " " + f[4];
                    break;
                }
            }
            if (file == null) {
                return new Mapping(null, -1, List.of(), "libjvm.so is not in /proc/self/maps");
            }
            List<long[]> ranges = new ArrayList<>();
            long base = -1;
            long lastEnd = -1;
            for (String line : maps) {
                String[] f = line.trim().split("\\s+", 6);
                if (f.length < 5) {
                    continue;
                }
                int dash = f[0].indexOf('-');
                long start = Long.parseUnsignedLong(f[0].substring(0, dash), 16);
                long end = Long.parseUnsignedLong(f[0].substring(dash + 1), 16);
                long readable = f[1].charAt(0) == 'r' ? 1 : 0;
                if (f.length == 6 && f[5].equals(file) && identity.equals(f[3] + " " + f[4])) {
                    long offset = Long.parseUnsignedLong(f[2], 16);
                    if (offset == 0 && base < 0) {
                        base = start;
                    }
                    ranges.add(new long[] {start, end, offset, readable});
                    lastEnd = end;
                } else if (start == lastEnd && f.length == 5 && f[4].equals("0")) {
                    ranges.add(new long[] {start, end, -1, readable});
                    lastEnd = -1;
                } else {
                    lastEnd = -1;
                }
            }
            return new Mapping(Path.of(file), base, ranges, null);
        }

        /** Whether {@code [address, address + length)} lies inside one readable mapping. */
        boolean readable(long address, long length) {
            for (long[] r : ranges) {
                if (r[3] == 1 && address >= r[0] && length >= 0 && address + length <= r[1] && address + length >= address) {
                    return true;
                }
            }
            return false;
        }

        /** Where the kernel mapped {@code [offset, offset + length)} of the file, readable and in one piece; -1 if nowhere. */
        long addressOf(long offset, long length) {
            for (long[] r : ranges) {
                if (r[3] == 1 && r[2] >= 0 && offset >= r[2] && offset + length <= r[2] + (r[1] - r[0])) {
                    return r[0] + (offset - r[2]);
                }
            }
            return -1;
        }
    }

    /** Reads through {@link Memory}, each one checked to lie inside libjvm's readable mappings first. */
    private static final class Reader {
        private final Memory memory;
        private final Mapping libjvm;

        Reader(Memory memory, Mapping libjvm) {
            this.memory = memory;
            this.libjvm = libjvm;
        }

        private void check(long address, int length) {
            if (!libjvm.readable(address, length)) {
                throw new IllegalStateException("an address in HotSpot's structure table (0x" + Long.toHexString(address)
                        + ") lies outside libjvm.so's mappings");
            }
        }

        long getLong(long address) throws Throwable {
            check(address, 8);
            return memory.getLong(address);
        }

        int getInt(long address) throws Throwable {
            check(address, 4);
            return memory.getInt(address);
        }

        String string(long address) throws Throwable {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < MAX_NAME; i++) {
                check(address + i, 1);
                byte b = memory.getByte(address + i);
                if (b == 0) {
                    return sb.toString();
                }
                sb.append((char) b);
            }
            return sb.toString();
        }
    }

    /** What this class reads of an ELF64 little-endian file: its headers and where its dynamic symbols are. */
    private static final class Elf {
        private final Path path;
        private final ByteBuffer header;
        private final ByteBuffer programHeaders;
        private final int phentsize;
        private final int phnum;
        private final ByteBuffer sectionHeaders;
        private final int shentsize;
        private final int shnum;
        /** The load bias: where the file's first loadable segment landed, minus its address (set by provenMapped). */
        private long bias = Long.MIN_VALUE;

        private Elf(Path path, ByteBuffer header, ByteBuffer programHeaders, ByteBuffer sectionHeaders) {
            this.path = path;
            this.header = header;
            this.programHeaders = programHeaders;
            this.phentsize = header.getShort(54) & 0xffff;
            this.phnum = header.getShort(56) & 0xffff;
            this.sectionHeaders = sectionHeaders;
            this.shentsize = header.getShort(58) & 0xffff;
            this.shnum = header.getShort(60) & 0xffff;
        }

        static Elf read(FileChannel ch, Path path) throws IOException {
            ByteBuffer h = read(ch, 0, 64);
            if (h.getInt(0) != 0x464c457f || h.get(4) != 2 || h.get(5) != 1) {
                throw new IOException(path + " is not a little-endian ELF64 file");
            }
            int phentsize = h.getShort(54) & 0xffff;
            int phnum = h.getShort(56) & 0xffff;
            int shentsize = h.getShort(58) & 0xffff;
            int shnum = h.getShort(60) & 0xffff;
            if (phentsize < 56 || shentsize < 64) {
                throw new IOException(path + " has ELF headers of unexpected sizes");
            }
            return new Elf(path, h, read(ch, h.getLong(32), (long) phentsize * phnum), read(ch, h.getLong(40), (long) shentsize * shnum));
        }

        /**
         * Null when the bytes the symbols' addresses come from are, in this file, what the kernel mapped into this
         * process from the same offsets, at the addresses the file's headers say; else why not.
         */
        String provenMapped(FileChannel ch, Mapping libjvm, Memory memory) throws Throwable {
            for (int i = 0; i < phnum; i++) {
                int p = i * phentsize;
                if (programHeaders.getInt(p) == 1) { // PT_LOAD
                    bias = libjvm.base - (programHeaders.getLong(p + 16) - programHeaders.getLong(p + 8));
                    break;
                }
            }
            if (bias == Long.MIN_VALUE) {
                return path + " has no loadable segment";
            }
            long headers = Math.max(64, header.getLong(32) + (long) phentsize * phnum);
            String problem = compare(ch, libjvm, memory, "ELF and program headers", 0, headers, libjvm.base);
            for (int i = 0; problem == null && i < phnum; i++) {
                int p = i * phentsize;
                if (programHeaders.getInt(p) == 4) { // PT_NOTE: the build id among them
                    problem = compare(ch, libjvm, memory, "notes (build id)", programHeaders.getLong(p + 8),
                            programHeaders.getLong(p + 32), bias + programHeaders.getLong(p + 16));
                }
            }
            int dynsym = section(11); // SHT_DYNSYM
            if (problem == null && dynsym < 0) {
                return path + " has no dynamic symbol table";
            }
            if (problem == null) {
                int s = dynsym * shentsize;
                problem = compare(ch, libjvm, memory, "dynamic symbol table", sectionHeaders.getLong(s + 24),
                        sectionHeaders.getLong(s + 32), bias + sectionHeaders.getLong(s + 16));
            }
            if (problem == null) {
                int l = sectionHeaders.getInt(dynsym * shentsize + 40) * shentsize;
                if (l < 0 || l + shentsize > sectionHeaders.capacity()) {
                    return path + " has a dynamic symbol table without strings";
                }
                problem = compare(ch, libjvm, memory, "dynamic symbols' names", sectionHeaders.getLong(l + 24),
                        sectionHeaders.getLong(l + 32), bias + sectionHeaders.getLong(l + 16));
            }
            return problem;
        }

        private int section(int type) {
            for (int i = 0; i < shnum; i++) {
                if (sectionHeaders.getInt(i * shentsize + 4) == type) {
                    return i;
                }
            }
            return -1;
        }

        /** Null when {@code length} bytes of the file at {@code offset} are mapped at {@code expected} and equal; else why not. */
        private String compare(FileChannel ch, Mapping libjvm, Memory memory, String what, long offset, long length,
                long expected) throws Throwable {
            long address = libjvm.addressOf(offset, length);
            if (address < 0) {
                return "cannot compare libjvm.so's " + what + " with its mapping: not inside one readable mapping of it";
            }
            if (address != expected) {
                return "libjvm.so at " + path + " is not the file mapped in this process: the kernel mapped its " + what
                        + " at 0x" + Long.toHexString(address) + ", its headers say 0x" + Long.toHexString(expected);
            }
            ByteBuffer bytes = read(ch, offset, length);
            long i = 0;
            for (; i + 8 <= length; i += 8) {
                long mapped = memory.getLong(address + i);
                long file = bytes.getLong((int) i);
                if (mapped != file) {
                    return differs(what, i + Long.numberOfTrailingZeros(mapped ^ file) / 8); // little-endian: low byte first
                }
            }
            for (; i < length; i++) {
                if (memory.getByte(address + i) != bytes.get((int) i)) {
                    return differs(what, i);
                }
            }
            return null;
        }

        private String differs(String what, long at) {
            return "libjvm.so at " + path + " is not the file mapped in this process: byte " + at + " of its " + what
                    + " differs from the mapped one";
        }

        /** The run-time addresses of {@code names} among the dynamic symbols (after {@link #provenMapped}). */
        Map<String, Long> symbols(FileChannel ch, List<String> names) throws IOException {
            Map<String, Long> found = new HashMap<>();
            int dynsym = section(11);
            int s = dynsym * shentsize;
            ByteBuffer syms = read(ch, sectionHeaders.getLong(s + 24), sectionHeaders.getLong(s + 32));
            int l = sectionHeaders.getInt(s + 40) * shentsize;
            ByteBuffer strs = read(ch, sectionHeaders.getLong(l + 24), sectionHeaders.getLong(l + 32));
            long entsize = Math.max(24, sectionHeaders.getLong(s + 56));
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
            return found;
        }

        private static ByteBuffer read(FileChannel ch, long at, long length) throws IOException {
            if (length < 0 || length > (64 << 20) || at < 0) {
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
    }

    /** Reads through {@code jdk.internal.misc.Unsafe}, which java.base exports to this module only (the agent's doing). */
    static final class UnsafeMemory implements Memory {
        private final Object unsafe;
        private final MethodHandle getLong;
        private final MethodHandle getInt;
        private final MethodHandle getByte;
        private final MethodHandle fieldOffset;

        UnsafeMemory() throws Throwable {
            Class<?> c = Class.forName("jdk.internal.misc.Unsafe");
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            unsafe = lookup.findStatic(c, "getUnsafe", MethodType.methodType(c)).invoke();
            getLong = lookup.findVirtual(c, "getLong", MethodType.methodType(long.class, long.class));
            getInt = lookup.findVirtual(c, "getInt", MethodType.methodType(int.class, long.class));
            getByte = lookup.findVirtual(c, "getByte", MethodType.methodType(byte.class, long.class));
            fieldOffset = lookup.findVirtual(c, "objectFieldOffset", MethodType.methodType(long.class, Class.class, String.class));
        }

        @Override
        public long getLong(long address) throws Throwable {
            return (long) getLong.invoke(unsafe, address);
        }

        @Override
        public int getInt(long address) throws Throwable {
            return (int) getInt.invoke(unsafe, address);
        }

        @Override
        public byte getByte(long address) throws Throwable {
            return (byte) getByte.invoke(unsafe, address);
        }

        long eetopOffset() throws Throwable {
            return (long) fieldOffset.invoke(unsafe, Thread.class, "eetop");
        }
    }
}
