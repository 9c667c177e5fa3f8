package dev.allocline.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The documentation cannot drift from the repository: every relative link in {@code README.md} and
 * {@code docs/*.md} names a file that exists and, with an anchor, a heading of that file (GitHub's slugs), and
 * every test a page cites ({@code `SomeTest`}, {@code `SomeIT`}, {@code `SomeTest.someMethod`}) is a test class of
 * the repository that has that method. A promise in the docs is only as good as the test it names.
 */
class DocLinksTest {

    /** The repository's root: tests run in {@code filter/}. */
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    /** Test classes of other projects the docs mention by name (the harnesses the tests use). */
    static final Set<String> THIRD_PARTY = Set.of("JerseyTest", "QuarkusUnitTest", "QuarkusTest",
            "SpanCreationBenchmark");

    static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
    static final Pattern TEST_NAME = Pattern.compile("`([A-Z][A-Za-z0-9]*(?:Test|IT))(?:\\.([a-z][A-Za-z0-9_]*))?(?:\\(\\))?`");
    static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");

    static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>();
        pages.add(ROOT.resolve("README.md"));
        Path docs = ROOT.resolve("docs");
        if (Files.isDirectory(docs)) {
            try (Stream<Path> s = Files.walk(docs)) {
                s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
            }
        }
        return pages;
    }

    /** The page's lines outside fenced code blocks. */
    static List<String> prose(Path page) {
        List<String> out = new ArrayList<>();
        boolean fenced = false;
        try {
            for (String line : Files.readAllLines(page, StandardCharsets.UTF_8)) {
                if (line.trim().startsWith("```")) {
                    fenced = !fenced;
                    continue;
                }
                if (!fenced) {
                    out.add(line);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** GitHub's anchor of a heading: lower case, punctuation but '-' and '_' dropped, spaces to '-'. */
    static String slug(String heading) {
        String text = heading.replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1").toLowerCase(Locale.ROOT);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
                b.append(c);
            } else if (c == ' ') {
                b.append('-');
            }
        }
        return b.toString();
    }

    static Set<String> anchors(Path page) {
        Set<String> anchors = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        for (String line : prose(page)) {
            Matcher m = HEADING.matcher(line);
            if (m.matches()) {
                String s = slug(m.group(1));
                int n = seen.merge(s, 1, Integer::sum);
                anchors.add(n == 1 ? s : s + "-" + (n - 1));
            }
        }
        return anchors;
    }

    @Test
    void everyRelativeLinkNamesAFileAndAHeadingThatExist() throws IOException {
        List<String> broken = brokenLinks(pages());
        assertTrue(broken.isEmpty(), () -> "broken links:\n" + String.join("\n", broken));
    }

    @Test
    void everyTestThePagesCiteExistsWithTheMethodTheyName() throws IOException {
        List<String> missing = missingTests(pages(), testClasses());
        assertTrue(missing.isEmpty(), () -> "cited tests that do not exist:\n" + String.join("\n", missing));
    }

    @Test
    void theChecksFindABrokenLinkABrokenAnchorAndAMissingTest() throws IOException {
        Path dir = Files.createTempDirectory("doclinks");
        Path page = dir.resolve("page.md");
        Files.writeString(page, "# How exact is `alloc_bytes`?\n[ok](#how-exact-is-alloc_bytes) [bad](#nowhere) "
                + "[gone](missing.md)\n`NoSuchThingTest`, `SomeTest.realOne`, `SomeTest.missingOne`\n"
                + "```\n[in code](not-checked.md)\n```\n");
        Path someTest = dir.resolve("SomeTest.java");
        Files.writeString(someTest, "class SomeTest {\n    void realOne() {\n    }\n}\n");
        assertEquals(2, brokenLinks(List.of(page)).size(), () -> brokenLinks(List.of(page)).toString());
        assertEquals(List.of("page.md: NoSuchThingTest (no such test class)", "page.md: SomeTest.missingOne (no such method)"),
                missingTests(List.of(page), Map.of("SomeTest", List.of(someTest))).stream()
                        .map(x -> x.substring(x.indexOf("page.md"))).collect(Collectors.toList()));
    }

    static List<String> brokenLinks(List<Path> pages) {
        List<String> broken = new ArrayList<>();
        for (Path page : pages) {
            for (String line : prose(page)) {
                Matcher m = LINK.matcher(line);
                while (m.find()) {
                    String target = m.group(1);
                    if (target.matches("^[a-z]+:.*")) {
                        continue; // http(s), mailto: not ours to check offline
                    }
                    int hash = target.indexOf('#');
                    String file = hash < 0 ? target : target.substring(0, hash);
                    String anchor = hash < 0 ? null : target.substring(hash + 1);
                    Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
                    if (!Files.exists(resolved)) {
                        broken.add(page + ": " + target + " (no such file)");
                    } else if (anchor != null && resolved.toString().endsWith(".md") && !anchors(resolved).contains(anchor)) {
                        broken.add(page + ": " + target + " (no such heading in " + resolved + ")");
                    }
                }
            }
        }
        return broken;
    }

    /** Every test class of the repository, by simple name. */
    static Map<String, List<Path>> testClasses() throws IOException {
        Map<String, List<Path>> tests = new HashMap<>();
        try (Stream<Path> s = Files.walk(ROOT)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/test/java/")
                    && !p.toString().contains("/target/")).collect(Collectors.toList())) {
                String name = p.getFileName().toString();
                tests.computeIfAbsent(name.substring(0, name.length() - ".java".length()), k -> new ArrayList<>()).add(p);
            }
        }
        return tests;
    }

    static List<String> missingTests(List<Path> pages, Map<String, List<Path>> tests) {
        List<String> missing = new ArrayList<>();
        for (Path page : pages) {
            for (String line : prose(page)) {
                Matcher m = TEST_NAME.matcher(line);
                while (m.find()) {
                    String cls = m.group(1);
                    String method = m.group(2);
                    if (THIRD_PARTY.contains(cls)) {
                        continue;
                    }
                    List<Path> files = tests.get(cls);
                    if (files == null) {
                        missing.add(page + ": " + cls + " (no such test class)");
                    } else if (method != null && files.stream().noneMatch(f -> declares(f, method))) {
                        missing.add(page + ": " + cls + "." + method + " (no such method)");
                    }
                }
            }
        }
        return missing;
    }

    static boolean declares(Path file, String method) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).matches("(?s).*\\b" + Pattern.quote(method) + "\\s*\\(.*");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
