package dev.allocline.internal.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A generated request id is 32 lowercase hex digits carrying all 128 random bits: every digit position takes
 * every value, no two of its 16 bytes move together, and no two ids of many repeat. The digits are written in a
 * scratch array each platform thread keeps: an id never shares it, and a virtual thread keeps none.
 */
class GeneratedRequestIdTest {

    @Test
    void everyDigitOfAGeneratedIdIsRandomHex() {
        AllocLineRuntime runtime = StackedRequestsTest.runtime();
        int n = 20_000;
        Set<String> seen = new HashSet<>();
        boolean[][] digits = new boolean[32][16];
        int[][] sameByte = new int[16][16];
        for (int i = 0; i < n; i++) {
            String id = runtime.requestId(null);
            assertTrue(id.matches("[0-9a-f]{32}"), id);
            seen.add(id);
            for (int p = 0; p < 32; p++) {
                digits[p][Character.digit(id.charAt(p), 16)] = true;
            }
            for (int x = 0; x < 16; x++) {
                for (int y = x + 1; y < 16; y++) {
                    if (id.regionMatches(2 * x, id, 2 * y, 2)) {
                        sameByte[x][y]++;
                    }
                }
            }
        }
        assertEquals(n, seen.size(), "ids repeat");
        for (int x = 0; x < 16; x++) {
            for (int y = x + 1; y < 16; y++) {
                // independent bytes are equal in 1 id of 256 (~78 of 20,000); a byte written from the wrong bits
                // would copy another in every id
                assertTrue(sameByte[x][y] < n / 50, "bytes " + x + " and " + y + " equal in " + sameByte[x][y] + " ids");
            }
        }
        for (int p = 0; p < 32; p++) {
            for (int d = 0; d < 16; d++) {
                // 20,000 ids: a given digit is missing from a position with probability (15/16)^20000, i.e. never
                assertTrue(digits[p][d], "position " + p + " never took digit " + Integer.toHexString(d));
            }
        }
    }

    @Test
    void anIdKeepsItsDigitsWhileItsThreadMakesMoreIds() {
        AllocLineRuntime runtime = StackedRequestsTest.runtime();
        String first = runtime.requestId(null);
        String copy = new String(first.toCharArray());
        for (int i = 0; i < 100; i++) {
            runtime.requestId(null);
        }
        assertEquals(copy, first, "a later id changed an earlier one: the id shares the thread's scratch");
    }

    @Test
    void aPlatformThreadKeepsItsScratchAndAVirtualThreadKeepsNone() throws Exception {
        AllocLineRuntime runtime = StackedRequestsTest.runtime();
        runtime.requestId(null);
        assertTrue(AllocLineRuntime.keepsIdScratch(), "a pooled platform thread should reuse its scratch");

        ExecutorService virtualThreads;
        try {
            virtualThreads = (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        } catch (NoSuchMethodException e) {
            assumeTrue(false, "virtual threads need JDK 21+");
            return;
        }
        try {
            boolean kept = virtualThreads.submit(() -> {
                String id = runtime.requestId(null);
                assertTrue(id.matches("[0-9a-f]{32}"), id);
                return AllocLineRuntime.keepsIdScratch();
            }).get(30, TimeUnit.SECONDS);
            assertFalse(kept, "a virtual thread (one per request) kept a thread-local scratch array");
        } finally {
            virtualThreads.shutdown();
        }
    }
}
