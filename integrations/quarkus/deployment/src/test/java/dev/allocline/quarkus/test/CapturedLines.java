package dev.allocline.quarkus.test;

import dev.allocline.line.CanonicalLine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.jboss.logmanager.Logger;

/**
 * The lines allocline writes to Quarkus' logging, captured by a handler on its logger as the application's
 * own handlers see them: the record's text and the line it carries.
 */
final class CapturedLines extends Handler {

    record Captured(String text, CanonicalLine line) {
    }

    private final List<Captured> lines = new CopyOnWriteArrayList<>();

    static CapturedLines attach() {
        CapturedLines c = new CapturedLines();
        Logger.getLogger("dev.allocline").addHandler(c);
        return c;
    }

    @Override
    public void publish(LogRecord record) {
        Object[] p = record.getParameters();
        if (p != null && p.length == 1 && p[0] instanceof CanonicalLine) {
            lines.add(new Captured(record.getMessage(), (CanonicalLine) p[0]));
        }
    }

    /** The first line matching {@code which}, waiting up to 20 s for it. */
    Captured await(Predicate<CanonicalLine> which) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            for (Captured c : lines) {
                if (which.test(c.line())) {
                    return c;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no line matched within 20 s; lines: " + lines);
    }

    /** Every line with request id {@code id}, after waiting for the first. */
    List<Captured> all(Predicate<CanonicalLine> which) {
        List<Captured> out = new ArrayList<>();
        for (Captured c : lines) {
            if (which.test(c.line())) {
                out.add(c);
            }
        }
        return out;
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
