package dev.allocline.testing;

import java.lang.ref.WeakReference;
import java.util.Collection;

/** Proves that nothing keeps an object alive: its weak references clear once collections run. */
public final class Gc {

    private Gc() {
    }

    /** Waits (collecting) until every reference is cleared; fails naming what stayed reachable. */
    public static void awaitCleared(String what, Collection<? extends WeakReference<?>> refs) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            long alive = refs.stream().filter(r -> r.get() != null).count();
            if (alive == 0) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(alive + " of " + refs.size() + " " + what + " still reachable after 10 s of GCs");
            }
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
