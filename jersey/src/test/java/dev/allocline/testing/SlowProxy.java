package dev.allocline.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A loopback TCP proxy that holds every chunk for a while before passing it on: a slow S3 endpoint,
 * made of a real one. Only 127.0.0.1 on both sides.
 */
public final class SlowProxy implements AutoCloseable {

    private final ServerSocket server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "slow-proxy");
        t.setDaemon(true);
        return t;
    });
    private volatile long delayMillis;

    public SlowProxy(int targetPort, long delayMillis) throws IOException {
        this.delayMillis = delayMillis;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        pool.execute(() -> {
            while (!server.isClosed()) {
                Socket client;
                try {
                    client = server.accept();
                } catch (IOException e) {
                    return; // the proxy was closed
                }
                Socket upstream = new Socket();
                try {
                    upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
                } catch (IOException e) {
                    // The target is down (a test stopped it): refuse this connection, keep accepting.
                    closeQuietly(client);
                    closeQuietly(upstream);
                    continue;
                }
                pool.execute(() -> pump(client, upstream));
                pool.execute(() -> pump(upstream, client));
            }
        });
    }

    public int port() {
        return server.getLocalPort();
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

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        pool.shutdownNow();
    }
}
