package dev.allocline.dropwizard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/** A Dropwizard JSON log file (one event a line) read back: the canonical lines of one request id. */
final class JsonLog {

    static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    JsonLog(Path file) {
        this.file = file;
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<JsonNode> linesFor(String id) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        return Files.readAllLines(file).stream().filter(l -> l.startsWith("{")).map(l -> {
            try {
                return JSON.readTree(l);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + l, e);
            }
        }).filter(n -> n.path("message").asText().startsWith("canonical_api_line request_id=" + id + " "))
                .collect(Collectors.toList());
    }

    /** The request's one line, once written (it is written after the response reached the client). */
    JsonNode awaitLine(String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            List<JsonNode> lines = linesFor(id);
            if (!lines.isEmpty()) {
                assertEquals(1, lines.size(), () -> "one line per request: " + lines);
                return lines.get(0);
            }
            Thread.sleep(20); // polling the file for the condition
        }
        throw new AssertionError("no line for " + id + " in " + (Files.exists(file) ? Files.readString(file) : "(no log)"));
    }
}
