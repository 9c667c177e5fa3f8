package dev.allocline.jfr;

import java.io.EOFException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;

/**
 * The chunk headers of a recording, read before its events: a JFR file is a sequence of self-contained
 * chunks, each starting with {@code FLR\0}, its format version and its own size (the layout the JDK's
 * {@code jdk.jfr.internal.consumer.ChunkHeader} reads). Walking them costs one read per chunk and finds what
 * the streaming reader would otherwise hide: {@code EventStream} ends quietly at a damaged or truncated
 * chunk (its stream treats an {@code IOException} as the end), so the file is checked whole first.
 * Single-threaded.
 */
final class Chunks {

    private static final byte[] MAGIC = {'F', 'L', 'R', 0};
    private static final int HEADER = 68;

    final int count;
    final int major;
    final int minor;
    /** Start of the last chunk, epoch nanos: events of the last chunk are at or after it. */
    final long lastStartNanos;

    private Chunks(int count, int major, int minor, long lastStartNanos) {
        this.count = count;
        this.major = major;
        this.minor = minor;
        this.lastStartNanos = lastStartNanos;
    }

    /** Reads every chunk header; throws with why when the file is not a complete recording this JDK reads. */
    static Chunks scan(Path file) throws IOException {
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            long size = in.length();
            long at = 0;
            int n = 0;
            int major = 0;
            int minor = 0;
            long lastStart = Long.MIN_VALUE;
            while (at < size) {
                if (size - at < HEADER) {
                    throw new EOFException("chunk " + (n + 1) + " at byte " + at + " has an incomplete header: the file is truncated");
                }
                in.seek(at);
                byte[] magic = new byte[4];
                in.readFully(magic);
                for (int i = 0; i < 4; i++) {
                    if (magic[i] != MAGIC[i]) {
                        throw new IOException(n == 0 ? "not a Flight Recorder file (no FLR header)"
                                : "chunk " + (n + 1) + " at byte " + at + " has no FLR header: the file is damaged");
                    }
                }
                major = in.readUnsignedShort();
                minor = in.readUnsignedShort();
                if (major != 1 && major != 2) {
                    throw new UnsupportedVersion(major, minor);
                }
                long chunkSize = in.readLong();
                in.seek(at + 32); // magic 4, version 4, size 8, constant pools 8, metadata 8
                long startNanos = in.readLong();
                if (chunkSize < HEADER) {
                    throw new EOFException("chunk " + (n + 1) + " at byte " + at + " was never finished (size "
                            + chunkSize + "): the file was copied while the JVM was still writing it, or is truncated");
                }
                if (at + chunkSize > size) {
                    throw new EOFException("chunk " + (n + 1) + " at byte " + at + " needs " + chunkSize
                            + " bytes, the file has " + (size - at) + ": the file is truncated");
                }
                lastStart = startNanos;
                at += chunkSize;
                n++;
            }
            if (n == 0) {
                throw new EOFException("the file is empty");
            }
            return new Chunks(n, major, minor, lastStart);
        }
    }

    /** A chunk format this JDK's reader does not know. */
    static final class UnsupportedVersion extends IOException {
        UnsupportedVersion(int major, int minor) {
            super("its JFR format is " + major + "." + minor + "; this JDK (" + Runtime.version()
                    + ") reads formats 1.x and 2.x");
        }
    }
}
