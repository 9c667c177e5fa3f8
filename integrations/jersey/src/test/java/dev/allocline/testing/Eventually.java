package dev.allocline.testing;

import java.util.function.BooleanSupplier;

/** Waits on a condition instead of sleeping for a guessed time. */
public final class Eventually {

    private Eventually() {
    }

    /** Polls {@code condition} until it holds, failing with {@code what} after 10 s. */
    public static void that(String what, BooleanSupplier condition) {
        within(10_000, what, condition);
    }

    /** Polls {@code condition} until it holds, failing with {@code what} after {@code millis}. */
    public static void within(long millis, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + millis + " ms waiting for: " + what);
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
