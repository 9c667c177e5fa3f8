package dev.allocline.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy that passes everything through, except that the first {@code resets} connections
 * whose client bytes contain {@code marker} (e.g. a request line's {@code partNumber=2}) are reset (TCP
 * RST, both sides) once {@code afterBytes} more bytes have gone through: a network fault in the middle
 * of a request body, in front of a real server. Only 127.0.0.1 on both sides.
 */
public final class ResettingProxy extends LoopbackProxy {

    private final String marker;
    private final long afterBytes;
    private final AtomicInteger resetsLeft;
    private final AtomicInteger resetsDone = new AtomicInteger();

    public ResettingProxy(int targetPort, String marker, long afterBytes, int resets) throws IOException {
        super("resetting-proxy");
        this.marker = marker;
        this.afterBytes = afterBytes;
        this.resetsLeft = new AtomicInteger(resets);
        start(targetPort);
    }

    @Override
    protected void relay(Socket client, Socket upstream) {
        execute(() -> up(client, upstream));
        execute(() -> down(upstream, client));
    }

    /** Connections reset so far. */
    public int resets() {
        return resetsDone.get();
    }

    /** Client to server: watches for the marker, and resets the connection that carries it. */
    private void up(Socket client, Socket upstream) {
        byte[] buf = new byte[16 * 1024];
        String tail = "";
        long left = -1; // bytes still to pass before the reset; -1 while not armed
        try {
            InputStream in = client.getInputStream();
            OutputStream out = upstream.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (left < 0) {
                    String seen = tail + new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                    if (seen.contains(marker) && resetsLeft.getAndUpdate(r -> Math.max(0, r - 1)) > 0) {
                        left = afterBytes;
                    } else {
                        tail = seen.substring(Math.max(0, seen.length() - marker.length()));
                    }
                }
                if (left >= 0 && n >= left) {
                    out.write(buf, 0, (int) left);
                    out.flush();
                    resetsDone.incrementAndGet();
                    reset(client);
                    reset(upstream);
                    return;
                }
                out.write(buf, 0, n);
                out.flush();
                if (left >= 0) {
                    left -= n;
                }
            }
        } catch (IOException e) {
            // connection ended
        }
        closeQuietly(client);
        closeQuietly(upstream);
    }

    private static void down(Socket upstream, Socket client) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = upstream.getInputStream();
            OutputStream out = client.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // connection ended
        }
        closeQuietly(client);
        closeQuietly(upstream);
    }

    /** Closes with SO_LINGER 0: the peer gets a RST, not a FIN. */
    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // already closed
        }
        closeQuietly(s);
    }
}
