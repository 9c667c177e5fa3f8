package dev.allocline.agent.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the hooks find HotSpot's counter: from libjvm.so's ELF file and this process's memory. The file is read
 * only once proved to be the one mapped in this process, by content: a copy that differs from the mapping (a
 * library of another build at the path, as after an upgrade) is refused, and nothing it names is read, while a
 * byte-identical copy gives the same layout. Run in the unit tests' JVM (JDK 21+, with {@code jdk.internal.misc}
 * exported to the class path for these reads only), on this JDK's libjvm; the maps lines are this process's own,
 * with the path of a copy put in where a test needs one.
 */
class ThreadCounterLayoutTest {

    @TempDir
    Path dir;

    @Test
    void findsTheCounterInThisJvmsLibjvm() throws Throwable {
        ThreadCounterLayout layout = find(maps(), new Recording());
        assertNull(layout.problem, layout.problem);
        assertTrue(layout.eetop > 0 && layout.allocatedBytes >= 8 && layout.tlabTop > layout.tlabStart, layout.toString());
    }

    @Test
    void aByteIdenticalCopyAtTheMappedPathGivesTheSameLayout() throws Throwable {
        Path copy = copyOfLibjvm();
        ThreadCounterLayout layout = find(mapsWithLibjvmAt(copy), new Recording());
        assertEquals(find(maps(), new Recording()).toString(), layout.toString());
    }

    @Test
    void aLibjvmOfAnotherBuildIsRefusedBeforeAnyAddressItNamesIsRead() throws Throwable {
        Path copy = copyOfLibjvm();
        Elf elf = Elf.of(copy);
        elf.flipLastByteOfTheNotes();
        Recording memory = new Recording();
        ThreadCounterLayout layout = find(mapsWithLibjvmAt(copy), memory);
        assertEquals("libjvm.so at " + copy + " is not the file mapped in this process: byte " + (elf.notesLength() - 1)
                + " of its notes (build id) differs from the mapped one", layout.problem);
        memory.assertOnlyTheHeadersMappingWasRead();
    }

    @Test
    void aLibjvmWhoseStructureTableSymbolPointsElsewhereIsRefusedBeforeReadingThere() throws Throwable {
        Path copy = copyOfLibjvm();
        Elf elf = Elf.of(copy);
        long moved = elf.moveSymbol("gHotSpotVMStructs", "gHotSpotVMStructEntryArrayStride");
        Recording memory = new Recording();
        ThreadCounterLayout layout = find(mapsWithLibjvmAt(copy), memory);
        assertTrue(layout.problem != null && layout.problem.startsWith("libjvm.so at " + copy
                + " is not the file mapped in this process: byte ")
                && layout.problem.endsWith(" of its dynamic symbol table differs from the mapped one"), layout.problem);
        memory.assertOnlyTheHeadersMappingWasRead();
        assertFalse(memory.read.contains(libjvmBase() + moved), "read where the copy's symbol points");
    }

    @Test
    void aLibjvmDeletedSinceTheJvmStartedIsNotRead() throws Throwable {
        List<String> maps = maps().stream().map(l -> l.endsWith("/libjvm.so") ? l + " (deleted)" : l).collect(Collectors.toList());
        Recording memory = new Recording();
        assertEquals("the libjvm.so mapped in this process was deleted or replaced on disk", find(maps, memory).problem);
        assertTrue(memory.read.isEmpty());
    }

    private static ThreadCounterLayout find(List<String> maps, Recording memory) throws Throwable {
        return ThreadCounterLayout.find(maps, memory, memory.unsafe.eetopOffset());
    }

    private static List<String> maps() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/maps"));
    }

    private static Path libjvm() throws Exception {
        return Path.of(maps().stream().filter(l -> l.endsWith("/libjvm.so")).findFirst().orElseThrow()
                .replaceFirst("^(\\S+\\s+){5}", ""));
    }

    private static long libjvmBase() throws Exception {
        return headersMapping()[0];
    }

    /** The mapping of libjvm's first bytes (offset 0): its ELF headers, dynamic symbols and notes are there. */
    private static long[] headersMapping() throws Exception {
        String line = maps().stream().filter(l -> l.endsWith("/libjvm.so") && l.split("\\s+")[2].matches("0+"))
                .findFirst().orElseThrow();
        String[] range = line.split("\\s+")[0].split("-");
        return new long[] {Long.parseUnsignedLong(range[0], 16), Long.parseUnsignedLong(range[1], 16)};
    }

    private Path copyOfLibjvm() throws Exception {
        Path copy = dir.resolve("libjvm.so");
        Files.copy(libjvm(), copy);
        return copy;
    }

    private static List<String> mapsWithLibjvmAt(Path copy) throws Exception {
        String real = libjvm().toString();
        return maps().stream().map(l -> l.endsWith(real) ? l.substring(0, l.length() - real.length()) + copy : l)
                .collect(Collectors.toList());
    }

    /** Real reads of this process's memory, each recorded, refused outside libjvm's mappings (a wrong address would crash). */
    private static final class Recording implements ThreadCounterLayout.Memory {
        final ThreadCounterLayout.UnsafeMemory unsafe;
        final List<Long> read = new ArrayList<>();
        private final ThreadCounterLayout.Mapping libjvm;

        Recording() throws Throwable {
            unsafe = new ThreadCounterLayout.UnsafeMemory();
            libjvm = ThreadCounterLayout.Mapping.of(maps());
        }

        private void check(long address, int length) {
            read.add(address);
            if (!libjvm.readable(address, length)) {
                throw new AssertionError("a read outside libjvm's mappings: 0x" + Long.toHexString(address));
            }
        }

        @Override
        public long getLong(long address) throws Throwable {
            check(address, 8);
            return unsafe.getLong(address);
        }

        @Override
        public int getInt(long address) throws Throwable {
            check(address, 4);
            return unsafe.getInt(address);
        }

        @Override
        public byte getByte(long address) throws Throwable {
            check(address, 1);
            return unsafe.getByte(address);
        }

        void assertOnlyTheHeadersMappingWasRead() throws Exception {
            long[] headers = headersMapping();
            assertFalse(read.isEmpty());
            for (long a : read) {
                assertTrue(a >= headers[0] && a < headers[1], "read outside the mapping of libjvm's headers and symbols: 0x"
                        + Long.toHexString(a) + " (structure table data lies beyond it)");
            }
        }
    }

    /** Just enough of an ELF64 file to change it: its notes and its dynamic symbols. */
    private static final class Elf {
        private final Path path;
        private final ByteBuffer b;

        private Elf(Path path, ByteBuffer b) {
            this.path = path;
            this.b = b;
        }

        static Elf of(Path path) throws Exception {
            return new Elf(path, ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN));
        }

        private int programHeader(int type) {
            long phoff = b.getLong(32);
            int size = b.getShort(54);
            for (int i = 0; i < b.getShort(56); i++) {
                int p = (int) (phoff + (long) i * size);
                if (b.getInt(p) == type) {
                    return p;
                }
            }
            throw new AssertionError("no program header of type " + type);
        }

        long notesLength() {
            return b.getLong(programHeader(4) + 32);
        }

        /** Changes the last byte of the first PT_NOTE segment: the end of the build id in libjvm. */
        void flipLastByteOfTheNotes() throws Exception {
            int note = programHeader(4);
            int last = (int) (b.getLong(note + 8) + b.getLong(note + 32) - 1);
            b.put(last, (byte) ~b.get(last));
            Files.write(path, b.array());
        }

        /** Gives symbol {@code name} the value of {@code to}'s; returns that value. */
        long moveSymbol(String name, String to) throws Exception {
            long shoff = b.getLong(40);
            int shsize = b.getShort(58);
            for (int i = 0; i < b.getShort(60); i++) {
                int s = (int) (shoff + (long) i * shsize);
                if (b.getInt(s + 4) != 11) { // SHT_DYNSYM
                    continue;
                }
                int strs = (int) (shoff + (long) b.getInt(s + 40) * shsize);
                int symbols = (int) b.getLong(s + 24);
                int nameAt = -1;
                long value = -1;
                for (int e = symbols; e < symbols + b.getLong(s + 32); e += 24) {
                    String n = string((int) b.getLong(strs + 24) + b.getInt(e));
                    if (n.equals(name)) {
                        nameAt = e;
                    } else if (n.equals(to)) {
                        value = b.getLong(e + 8);
                    }
                }
                assertTrue(nameAt >= 0 && value > 0, "found " + name + " and " + to);
                b.putLong(nameAt + 8, value);
                Files.write(path, b.array());
                return value;
            }
            throw new AssertionError("no dynamic symbol table");
        }

        private String string(int at) {
            int end = at;
            while (b.get(end) != 0) {
                end++;
            }
            return new String(b.array(), at, end - at, StandardCharsets.US_ASCII);
        }
    }
}
