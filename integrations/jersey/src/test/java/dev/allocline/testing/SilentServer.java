package dev.allocline.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A server on 127.0.0.1 that accepts connections, reads whatever is sent and never answers: the upload
 * that hangs. Counts what it received and how many connections the client closed.
 */
public final class SilentServer implements AutoCloseable {

    private final ServerSocket server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "silent-server");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger closedByClient = new AtomicInteger();
    private final AtomicLong received = new AtomicLong();
    private final java.util.List<Socket> open = new java.util.concurrent.CopyOnWriteArrayList<>();

    public SilentServer() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        pool.execute(() -> {
            while (!server.isClosed()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    return; // closed
                }
                accepted.incrementAndGet();
                open.add(s);
                pool.execute(() -> swallow(s));
            }
        });
    }

    private void swallow(Socket s) {
        byte[] buf = new byte[8192];
        try (s; InputStream in = s.getInputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                received.addAndGet(n);
            }
            closedByClient.incrementAndGet();
        } catch (IOException e) {
            if (!server.isClosed()) {
                closedByClient.incrementAndGet(); // reset by the client
            }
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    public int accepted() {
        return accepted.get();
    }

    public long received() {
        return received.get();
    }

    public int closedByClient() {
        return closedByClient.get();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            s.close(); // a blocked read does not end on interrupt
        }
        pool.shutdownNow();
    }
}
