package dev.allocline.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * A loopback TCP proxy that holds every chunk for a while before passing it on: a slow S3 endpoint,
 * made of a real one. Only 127.0.0.1 on both sides.
 */
public final class SlowProxy extends LoopbackProxy {

    private volatile long delayMillis;

    public SlowProxy(int targetPort, long delayMillis) throws IOException {
        super("slow-proxy");
        this.delayMillis = delayMillis;
        start(targetPort);
    }

    @Override
    protected void relay(Socket client, Socket upstream) {
        execute(() -> pump(client, upstream));
        execute(() -> pump(upstream, client));
    }

    public void delayMillis(long millis) {
        this.delayMillis = millis;
    }

    private void pump(Socket from, Socket to) {
        byte[] buf = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (delayMillis > 0) {
                    Thread.sleep(delayMillis);
                }
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // connection ended
        } finally {
            try {
                from.close();
                to.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }
}
