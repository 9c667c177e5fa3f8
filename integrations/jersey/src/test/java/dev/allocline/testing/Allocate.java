package dev.allocline.testing;

/** Allocations the JIT cannot remove: every array escapes into a volatile field. */
public final class Allocate {

    public static volatile Object sink;

    private Allocate() {
    }

    /** Allocates {@code bytes} bytes (rounded to whole 1 MiB arrays plus a remainder). */
    public static void bytes(long bytes) {
        long left = bytes;
        while (left > 0) {
            int chunk = (int) Math.min(left, 1 << 20);
            // an array header is 16 bytes; the payload makes up the rest
            sink = new byte[Math.max(0, chunk - 16)];
            left -= chunk;
        }
    }
}
