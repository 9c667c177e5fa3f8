package dev.allocline.internal.accounting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A generated request id is 32 lowercase hex digits carrying all 128 random bits: every digit position takes
 * every value, no two of its 16 bytes move together, and no two ids of many repeat.
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
}
