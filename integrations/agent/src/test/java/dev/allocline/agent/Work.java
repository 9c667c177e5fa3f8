package dev.allocline.agent;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/** The work the tests measure, the same on every kind of thread. */
final class Work {

    static volatile Object sink;

    private Work() {
    }

    /** Allocates {@code bytes} in arrays of at most 1 MiB (header included) that escape. */
    static void allocate(long bytes) {
        long left = bytes;
        while (left > 0) {
            int chunk = (int) Math.min(left, 1 << 20);
            sink = new byte[Math.max(0, chunk - 16)];
            left -= chunk;
        }
    }

    /** The carrier a virtual thread runs on now: its {@code toString} names it after the '@'. */
    static String carrier() {
        String s = Thread.currentThread().toString();
        int at = s.lastIndexOf('@');
        return at < 0 ? s : s.substring(at + 1);
    }

    static long onPlatformThread(Callable<Long> task) throws Exception {
        AtomicReference<Object> out = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                out.set(task.call());
            } catch (Exception e) {
                out.set(e);
            }
        });
        t.join();
        if (out.get() instanceof Exception e) {
            throw e;
        }
        return (Long) out.get();
    }
}
