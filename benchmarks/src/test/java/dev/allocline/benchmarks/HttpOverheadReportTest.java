package dev.allocline.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP run's report ({@code http-overhead-report.py}, run with python3 as {@code http-overhead.sh} runs it):
 * a target is met or not only when the median's whole 95% interval is on one side of it, and a published report
 * can be recomputed from its own rounds.
 */
class HttpOverheadReportTest {

    private static String run(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("python3", Path.of("http-overhead-report.py").toAbsolutePath().toString()));
        command.addAll(List.of(args));
        Path out = dir.resolve("out-" + System.nanoTime() + ".md");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectErrorStream(false).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python3 did not finish");
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), err);
        return Files.readString(out);
    }

    /**
     * Rounds whose allocline line / access-log ratio is {@code line} and Micrometer sink / jersey-micrometer ratio
     * is {@code sink}, each times a spread that alternates round to round.
     */
    private static Path rounds(Path dir, int n, double line, double sink, double spread) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int r = 0; r < n; r++) {
            double wobble = 1 + spread * ((r % 5) - 2) / 2; // 1 - spread .. 1 + spread
            double access = 20_000;
            double micrometer = 18_000;
            b.append(String.format(Locale.ROOT, "25000 24000 %.0f %.0f %.0f %.0f 21000 %.1f%n", access * line * wobble, access,
                    micrometer * sink * wobble, micrometer, 1.0));
        }
        Path f = dir.resolve("rounds-" + n + "-" + line + "-" + spread + ".txt");
        Files.writeString(f, b.toString());
        return f;
    }

    @Test
    void aTargetIsMetOnlyWhenTheMediansWholeIntervalClearsIt(@TempDir Path dir) throws Exception {
        String clear = run(dir, rounds(dir, 16, 0.99, 1.05, 0.005).toString(), "16", "8", "0.1 0.1 0.1", "0.2 0.2 0.2",
                "openjdk version \"17\"");
        assertTrue(clear.contains("allocline / access-log peer target: paired median >= 0.98: met ("), clear);
        assertTrue(clear.contains("Micrometer sink / jersey-micrometer target: paired median >= 1.00: met ("), clear);

        String below = run(dir, rounds(dir, 16, 0.95, 0.96, 0.005).toString(), "16", "8", "0.1 0.1 0.1", "0.2 0.2 0.2",
                "openjdk version \"17\"");
        assertTrue(below.contains("paired median >= 0.98: NOT met ("), below);
        assertTrue(below.contains("paired median >= 1.00: NOT met ("), below);

        // the same median as the first run but rounds spread +-10%: the interval straddles the target
        String noisy = run(dir, rounds(dir, 16, 0.99, 1.05, 0.2).toString(), "16", "8", "0.1 0.1 0.1", "0.2 0.2 0.2",
                "openjdk version \"17\"");
        assertTrue(noisy.contains("paired median >= 0.98: INCONCLUSIVE (median 0.990, 95% interval of the median "), noisy);
    }

    @Test
    void manyRoundsStillGetTheCentralInterval(@TempDir Path dir) throws Exception {
        // 2^n no longer fits a double past 1,023 rounds: the interval must still be computed. The rounds take five
        // values 220 times each around the median 0.99, so the central interval (about the 517th to the 584th of
        // 1,100) lies wholly within the middle value: enough rounds settle what ten of the same spread cannot.
        String report = run(dir, rounds(dir, 1100, 0.99, 1.05, 0.2).toString(), "1100", "8", "0.1 0.1 0.1", "0.2 0.2 0.2",
                "openjdk version \"17\"");
        assertTrue(report.contains("paired median >= 0.98: met (median 0.990, 95% interval of the median 0.990-0.990)"),
                report.lines().filter(l -> l.startsWith("- targets")).findFirst().orElse(report));
    }

    @Test
    void theIssuesSummaryLinesStayLastInTheirExactForm(@TempDir Path dir) throws Exception {
        String report = run(dir, rounds(dir, 10, 0.99, 1.05, 0.005).toString(), "10", "8", "0.1 0.1 0.1", "0.2 0.2 0.2",
                "openjdk version \"17\"");
        String[] lines = report.strip().split("\n");
        assertTrue(lines[lines.length - 2].matches("- allocline / access-log peer, paired: median 0\\.\\d{3}, range \\d\\.\\d{3}-\\d\\.\\d{3}"),
                lines[lines.length - 2]);
        assertTrue(lines[lines.length - 1].matches(
                "- allocline micrometer sink / jersey-micrometer, paired: median \\d\\.\\d{3}, range \\d\\.\\d{3}-\\d\\.\\d{3}"),
                lines[lines.length - 1]);
    }

    /** Rounds of the nine servers since #39: the realistic peer and the OpenTelemetry agent after the seven. */
    private static Path nineServerRounds(Path dir, int n, double idPeer, double otel) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int r = 0; r < n; r++) {
            double wobble = 1 + 0.005 * ((r % 5) - 2) / 2;
            b.append(String.format(Locale.ROOT, "25000 24000 20000 20500 19000 18000 21000 %.0f %.0f %.1f%n",
                    20_000 / idPeer * wobble, 20_000 / otel * wobble, 1.0));
        }
        Path f = dir.resolve("rounds9-" + n + "-" + idPeer + "-" + otel + ".txt");
        Files.writeString(f, b.toString());
        return f;
    }

    @Test
    void nineServersEndWithTheFourSummaryLinesOfIssue39(@TempDir Path dir) throws Exception {
        String report = run(dir, nineServerRounds(dir, 10, 0.99, 1.02).toString(), "10", "8", "0.1 0.1 0.1",
                "0.2 0.2 0.2", "openjdk version \"17\"");
        String[] lines = report.strip().split("\n");
        String number = "median \\d\\.\\d{3}, range \\d\\.\\d{3}-\\d\\.\\d{3}";
        assertTrue(lines[lines.length - 4].matches("- allocline / access log \\+ request id peer, paired: " + number),
                lines[lines.length - 4]);
        assertTrue(lines[lines.length - 3].matches("- allocline / access-log peer, paired: " + number), lines[lines.length - 3]);
        assertTrue(lines[lines.length - 2].matches("- allocline micrometer sink / jersey-micrometer, paired: " + number),
                lines[lines.length - 2]);
        assertTrue(lines[lines.length - 1].matches("- allocline / opentelemetry agent, paired: " + number),
                lines[lines.length - 1]);
        assertTrue(lines[lines.length - 4].contains("median 0.990"), lines[lines.length - 4]);
        assertTrue(lines[lines.length - 1].contains("median 1.020"), lines[lines.length - 1]);
        assertTrue(report.contains("allocline / access log + request id peer target: paired median >= 0.97: met ("), report);
        assertTrue(report.contains("allocline / opentelemetry agent target: paired median >= 1.00: met ("), report);
        assertTrue(report.contains("| access log + request id peer | OpenTelemetry agent | host steal |"), report);
        // and recomputed from its own table
        Path published = dir.resolve("published9.md");
        Files.writeString(published, report);
        String again = run(dir, "--regenerate", published.toString());
        assertTrue(again.strip().endsWith(lines[lines.length - 1]), again);
    }

    @Test
    void theExampleEndpointsRunSaysSoAndJudgesItsOwnTarget(@TempDir Path dir) throws Exception {
        Path rounds = nineServerRounds(dir, 10, 0.998, 1.02);
        ProcessBuilder pb = new ProcessBuilder("python3", Path.of("http-overhead-report.py").toAbsolutePath().toString(),
                rounds.toString(), "10", "8", "0.1 0.1 0.1", "0.2 0.2 0.2", "openjdk version \"17\"",
                "bash benchmarks/http-overhead.sh 10 8 results/x.md example");
        pb.environment().put("ALLOCLINE_HTTP_ENDPOINT", "example");
        Path out = dir.resolve("example.md");
        Process p = pb.redirectOutput(out.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python3 did not finish");
        assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        String report = Files.readString(out);
        assertTrue(report.contains("`GET /clusters/c-7/databases`"), report);
        assertTrue(report.contains("A JSON GET on Grizzly, nine servers"), report);
        assertTrue(report.contains("- example endpoint (#39 item 5): allocline / access log + request id peer target: "
                + "paired median >= 0.99: met ("), report);
        // the four summary lines stay last
        String[] lines = report.strip().split("\n");
        assertTrue(lines[lines.length - 1].startsWith("- allocline / opentelemetry agent, paired: median 1.020"), report);
        assertTrue(lines[lines.length - 4].startsWith("- allocline / access log + request id peer, paired: median 0.998"), report);
        // a hello-world report never carries the example's target; a recomputed example report keeps it
        assertFalse(run(dir, rounds.toString(), "10", "8", "0.1 0.1 0.1", "0.2 0.2 0.2", "openjdk version \"17\"")
                .contains("example endpoint"));
        String again = run(dir, "--regenerate", out.toString());
        assertTrue(again.contains("- example endpoint (#39 item 5)"), again);
    }

    @Test
    void theQuarkusPairIsReportedPerRoundWithEachRatiosInterval(@TempDir Path dir) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int r = 0; r < 10; r++) {
            double wobble = 1 + 0.01 * ((r % 5) - 2);
            b.append(String.format(Locale.ROOT, "40000 %.0f %.0f 0.%d%n", 38_000 * wobble, 39_600 * wobble, r));
        }
        Path rounds = dir.resolve("quarkus-rounds.txt");
        Files.writeString(rounds, b.toString());
        Path out = dir.resolve("quarkus.md");
        Process p = new ProcessBuilder("python3", Path.of("quarkus-overhead-report.py").toAbsolutePath().toString(),
                rounds.toString(), "8", "0.1 0.1 0.1", "0.2 0.2 0.2", "openjdk version \"17\"",
                "bash benchmarks/quarkus-overhead.sh 10 8").redirectOutput(out.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python3 did not finish");
        assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        String report = Files.readString(out);
        assertEquals(10, report.lines().filter(l -> l.matches("\\| \\d+ \\| 40000 \\| .*")).count(), report);
        assertTrue(report.contains("- allocline, line to a file / without the extension, paired: median 0.950, range 0.931-0.969"),
                report);
        assertTrue(report.contains("- allocline, line off / without the extension, paired: median 0.990"), report);
        assertTrue(report.contains("- line to a file / without the extension: 95% interval of the paired median 0.931-0.969"),
                report);
        // 2 cores over the rate, differenced: 2e9 / 38,000 - 2e9 / 40,000 = +2,632 ns at the median round
        assertTrue(report.contains("line to a file +2632 ns"), report);
        assertTrue(report.contains("no round over 5%"), report);
    }

    @Test
    void aPublishedReportIsRecomputedFromItsOwnRounds(@TempDir Path dir) throws Exception {
        String first = run(dir, rounds(dir, 12, 0.99, 1.05, 0.2).toString(), "12", "8", "0.1 0.1 0.1", "0.2 0.2 0.2",
                "openjdk version \"17\"", "bash benchmarks/http-overhead.sh 12 8");
        // as published before the interval rule: a bare median verdict
        Path published = dir.resolve("published.md");
        Files.writeString(published, first.replaceAll("paired median >= 0\\.98: INCONCLUSIVE \\([^)]*\\)", "paired median >= 0.98: met"));
        String again = run(dir, "--regenerate", published.toString());
        assertTrue(again.contains("Generated by `bash benchmarks/http-overhead.sh 12 8`"), again);
        assertTrue(again.contains("Summaries recomputed from the rounds below by `python3 benchmarks/http-overhead-report.py "
                + "--regenerate " + published + "`"), again);
        assertTrue(again.contains("paired median >= 0.98: INCONCLUSIVE ("), again);
        // everything else as recorded: the rounds, the machine line, the steal
        for (String kept : List.of("| 12 | 25000 | 24000 |", "before 0.1 0.1 0.1, after 0.2 0.2 0.2", "host steal", "1.0% |")) {
            assertTrue(again.contains(kept), kept + " in " + again);
        }
        assertEquals(first.lines().filter(l -> l.startsWith("| ")).count(), again.lines().filter(l -> l.startsWith("| ")).count());
    }
}
