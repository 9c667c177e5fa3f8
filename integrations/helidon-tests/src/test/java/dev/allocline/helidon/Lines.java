package dev.allocline.helidon;

import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineSink;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A test's sink: every line, by request id. Called concurrently from Helidon's request threads. */
final class Lines implements CanonicalLineSink {

    private final Map<String, List<CanonicalLine>> byId = new ConcurrentHashMap<>();

    @Override
    public void accept(CanonicalLine line) {
        byId.computeIfAbsent(line.requestId(), k -> new CopyOnWriteArrayList<>()).add(line);
    }

    /** The lines of request {@code id} so far. */
    List<CanonicalLine> of(String id) {
        return byId.getOrDefault(id, List.of());
    }

    /** How many lines in all. */
    int count() {
        return byId.values().stream().mapToInt(List::size).sum();
    }

    /** The one line of request {@code id}, waited for (it is written after the response, on the request's thread). */
    CanonicalLine await(String id) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (of(id).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        List<CanonicalLine> lines = of(id);
        if (lines.size() != 1) {
            throw new AssertionError("request " + id + " has " + lines.size() + " lines, not one: " + lines);
        }
        return lines.get(0);
    }
}
