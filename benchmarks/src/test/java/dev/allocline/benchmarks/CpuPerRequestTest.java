package dev.allocline.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The interleaved CPU run's statistics, its pairing by round, its forks, and the run itself on three small
 * applications.
 */
class CpuPerRequestTest {

    private static double[] shuffled(int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = i + 1;
        }
        Random random = new Random(42);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            double t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        return v;
    }

    @Test
    void theMediansIntervalIsTheOrderStatisticsTheBinomialAllows() {
        // P(Bin(10, 1/2) <= 1) = 1.1% <= 2.5% < P(<= 2) = 5.5%: the 2nd smallest and the 2nd largest
        assertArrayEquals(new double[] {2, 9}, CpuPerRequest.medianInterval(shuffled(10)));
        // P(Bin(20, 1/2) <= 5) = 2.07% <= 2.5% < P(<= 6) = 5.77%: the 6th and the 15th
        assertArrayEquals(new double[] {6, 15}, CpuPerRequest.medianInterval(shuffled(20)));
        // too few values for any 95% interval: the whole range
        assertArrayEquals(new double[] {1, 5}, CpuPerRequest.medianInterval(shuffled(5)));
    }

    @Test
    void theIntervalStaysRightWhereHalfToTheNUnderflows() {
        // 0.5^2000 is 0 in a double; the interval must still be the central one (about n/2 -+ 1.96 sqrt(n)/2)
        double[] iv = CpuPerRequest.medianInterval(shuffled(2000));
        assertTrue(iv[0] >= 950 && iv[0] <= 960, "lower " + iv[0]);
        assertTrue(iv[1] >= 1041 && iv[1] <= 1051, "upper " + iv[1]);
        assertEquals(1000.5, CpuPerRequest.median(shuffled(2000)));
    }

    @Test
    void differencesArePairedByRoundSoTheMachinesDriftCancels() {
        int rounds = 40;
        double[][] cpu = new double[3][rounds];
        double[][] bytes = new double[3][rounds];
        for (int r = 0; r < rounds; r++) {
            double drift = 1_000 * (r % 7); // the host slowing every variant of a round alike
            cpu[0][r] = 10_000 + drift; // baseline
            cpu[1][r] = 10_300 + drift; // peer_access_log_file
            cpu[2][r] = 10_500 + drift; // log4j_file
            bytes[0][r] = 21_000;
            bytes[1][r] = 21_300;
            bytes[2][r] = 22_200;
        }
        String report = CpuPerRequest.report(List.of("baseline", "peer_access_log_file", "log4j_file"), cpu, bytes, rounds,
                1, 500, 1_000_000_000L, "");
        assertTrue(report.contains("| `log4j_file` | `peer_access_log_file` | **issue #21 item 1**: allocline's line "
                + "against the access log it replaces | +200 | +200 to +200 | 1.0"), report);
        assertTrue(report.contains("| `log4j_file` | `baseline` | over Jersey alone | +500 | +500 to +500 |"), report);
        assertTrue(report.contains("against the access log it replaces | +200 | +200 to +200 | 1.015 | +900 |"),
                "bytes difference: " + report);
        // a pair whose reference did not run is not reported
        assertFalse(report.contains("`accounting_only`"), report);
    }

    @Test
    void aShortRunWritesEveryVariantAndTheItemOnePair(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("cpu.md");
        CpuPerRequest.main(new String[] {"8", "20", "--warmup", "400", "--variants",
                "baseline,peer_access_log_file,log4j_file", "--out", out.toString()});
        String report = Files.readString(out);
        for (String v : List.of("baseline", "peer_access_log_file", "log4j_file")) {
            assertTrue(report.contains("| `" + v + "` | "), v + ": " + report);
        }
        assertTrue(report.contains("| `log4j_file` | `peer_access_log_file` | **issue #21 item 1**"), report);
        assertTrue(report.contains("8 rounds of 20 requests per variant"), report);
    }

    @Test
    void withForksEachForksOwnMedianIsReportedBesideThePooledOne() {
        int rounds = 20;
        int forks = 3;
        double[][] cpu = new double[2][rounds * forks];
        double[][] bytes = new double[2][rounds * forks];
        double[] lineOverPeer = {1.10, 1.20, 1.30}; // the JIT compiled each fork differently
        for (int f = 0; f < forks; f++) {
            for (int r = 0; r < rounds; r++) {
                cpu[0][f * rounds + r] = 10_000;
                cpu[1][f * rounds + r] = 10_000 * lineOverPeer[f];
            }
        }
        String report = CpuPerRequest.report(List.of("peer_access_log_file", "log4j_file"), cpu, bytes, rounds, forks, 500,
                1_000_000_000L, "--forks 3");
        assertTrue(report.contains("3 forks of 20 rounds of 500 requests per variant"), report);
        // pooled, the rounds say 1.200 to within nothing: only the forks' own medians show the run-to-run spread
        assertTrue(report.contains("| `log4j_file` | 12000 | 12000-12000 | 0 | 11000, 12000, 13000 |"), report);
        assertTrue(report.contains("against the access log it replaces | +2000 | +2000 to +2000 | 1.200 | +0 | 1.100, 1.200, "
                + "1.300 |"), report);
    }

    @Test
    void aForkedRunPoolsTheForksRounds(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("cpu.md");
        CpuPerRequest.main(new String[] {"6", "10", "--forks", "2", "--warmup", "200", "--variants",
                "baseline,peer_access_log_file,log4j_file", "--out", out.toString()});
        String report = Files.readString(out);
        assertTrue(report.contains("2 forks of 6 rounds of 10 requests per variant"), report);
        assertTrue(report.matches("(?s).*\\| `log4j_file` \\| `peer_access_log_file` \\| \\*\\*issue #21 item 1\\*\\*[^\\n]*"
                + "\\| [0-9.]+, [0-9.]+ \\|\\n.*"), report);
        assertTrue(report.contains("Host steal over the measured rounds (`/proc/stat`), per fork: "), report);
    }

    @Test
    void aloneEveryVariantRunsInJvmsOfItsOwn(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("cpu.md");
        CpuPerRequest.main(new String[] {"4", "10", "--forks", "2", "--alone", "--warmup", "200", "--variants",
                "baseline,log4j_file", "--out", out.toString()});
        String report = Files.readString(out);
        assertTrue(report.contains("2 forks of 4 rounds of 10 requests per variant"), report);
        assertTrue(report.contains("**`--alone`: every variant ran in JVMs of its own** (2 per variant;"), report);
        // one JVM per variant and fork: each fork's steal has one part per variant's JVM
        assertTrue(report.matches("(?s).*per fork: [0-9.]+%/[0-9.]+%, [0-9.]+%/[0-9.]+%\\..*"), report);
        assertTrue(report.matches("(?s).*\\| `log4j_file` \\| [0-9]+ \\|[^\\n]*\\| [0-9]+, [0-9]+ \\|\\n.*"), report);
    }

    @Test
    void theExampleEndpointIsServedInsteadOfTheHelloWorld(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("cpu.md");
        CpuPerRequest.main(new String[] {"2", "2", "--warmup", "40", "--endpoint", "example", "--variants",
                "baseline,log4j_file", "--out", out.toString()});
        String report = Files.readString(out);
        assertTrue(report.contains("--endpoint example"), report);
        // the example's query and JSON cost far more than a hello world (tens of microseconds at the very least)
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\| `baseline` \\| ([0-9]+) \\|").matcher(report);
        assertTrue(m.find(), report);
        assertTrue(Long.parseLong(m.group(1)) > 50_000, report);
    }
}
