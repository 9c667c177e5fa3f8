package dev.allocline.testing;

import dev.allocline.line.CanonicalLine;
import dev.allocline.line.CanonicalLineSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A sink that keeps lines for assertions. The line is emitted after the response is written, so a
 * client can hold the response before the line exists: tests wait for it.
 */
public final class LineCollector implements CanonicalLineSink {

    private final LinkedBlockingQueue<CanonicalLine> lines = new LinkedBlockingQueue<>();

    @Override
    public void accept(CanonicalLine line) {
        lines.add(line);
    }

    /** The next line, waiting up to 10 s. */
    public CanonicalLine next() {
        try {
            CanonicalLine l = lines.poll(10, TimeUnit.SECONDS);
            if (l == null) {
                throw new AssertionError("no canonical line within 10 s");
            }
            return l;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * The line of the request sent with {@code requestId} (see {@link LoopbackServer#lineFor}), waiting
     * up to 10 s; lines of other requests stay queued.
     */
    public CanonicalLine awaitRequest(String requestId) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            for (CanonicalLine l : lines) {
                if (l.requestId().equals(requestId)) {
                    lines.remove(l);
                    return l;
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("no canonical line for request " + requestId + " within 10 s");
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Every line that arrives until none has arrived for {@code quiet}. */
    public List<CanonicalLine> drain(Duration quiet) {
        List<CanonicalLine> out = new ArrayList<>();
        try {
            CanonicalLine l;
            while ((l = lines.poll(quiet.toMillis(), TimeUnit.MILLISECONDS)) != null) {
                out.add(l);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return out;
    }
}
