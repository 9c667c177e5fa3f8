package dev.allocline.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.allocline.internal.RateLimitedLog;
import dev.allocline.internal.AllocLineSettings;
import dev.allocline.internal.profile.ProfileTrigger;
import dev.allocline.internal.profile.RequestWindow;
import dev.allocline.line.CanonicalLine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The claim of a capture is one atomic step: within one cooldown exactly one request gets a profile,
 * even when captures fail as fast as they start (here: a temp directory that cannot be created).
 */
class ProfileClaimTest {

    @Test
    void oneClaimPerCooldownEvenWhenCapturesFailInstantly(@TempDir Path tmp) throws Exception {
        Path notADirectory = Files.writeString(tmp.resolve("file"), "x").resolve("work");
        ProfileTrigger trigger = new ProfileTrigger(new AllocLineSettings(java.util.List.of(), false, Duration.ofMillis(1),
                Duration.ofHours(1), 1, (k, f) -> "never://" + k, Duration.ofHours(1), "race", ProfileKind.HEAP_DUMP,
                notADirectory, 1L << 40, "300/s", Duration.ofMinutes(1), 1L << 20, true, Duration.ofSeconds(10),
                java.util.List.of(), null, null, null, false), new RateLimitedLog("dev.allocline.test", Duration.ofHours(1)));
        int threads = 4;
        AtomicInteger claims = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        for (int t = 0; t < threads; t++) {
            ts[t] = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                int i = 0;
                while (System.nanoTime() - deadline < 0) {
                    CanonicalLine line = new CanonicalLine(Thread.currentThread().getName() + "-" + i++, "GET", "/", "/",
                            200, true, Duration.ZERO, 100, Optional.empty(), 1, -1, 2, Optional.empty(), java.util.Map.of());
                    Optional<String> key = trigger.offer(line, new RequestWindow(line.requestId(), 0, 0, new long[0]));
                    if (key.isPresent()) {
                        claims.incrementAndGet();
                    }
                }
            }, "offer-" + t);
            ts[t].start();
        }
        go.countDown();
        for (Thread t : ts) {
            t.join();
        }
        trigger.close(Duration.ofSeconds(10));
        assertEquals(1, claims.get(), "captures claimed within one cooldown");
    }
}
