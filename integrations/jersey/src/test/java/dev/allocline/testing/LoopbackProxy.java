package dev.allocline.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A TCP proxy on 127.0.0.1 in front of a real server on 127.0.0.1, for tests of what crosses the network: it
 * accepts connections, connects each to the target, and hands the pair to {@link #relay}, which decides what
 * passes (delayed, reset, ...). A connection the target refuses is closed and the proxy keeps accepting.
 */
public abstract class LoopbackProxy implements AutoCloseable {

    private final ServerSocket server;
    private final ExecutorService pool;

    protected LoopbackProxy(String threadName) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts accepting; called by the subclass once its own fields are set. */
    protected final void start(int targetPort) {
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
                relay(client, upstream);
            }
        });
    }

    /** Passes one connection's bytes both ways, on threads of {@link #execute}; must not block. */
    protected abstract void relay(Socket client, Socket upstream);

    /** Runs a pump on the proxy's pool. */
    protected final void execute(Runnable pump) {
        pool.execute(pump);
    }

    public final int port() {
        return server.getLocalPort();
    }

    protected static void closeQuietly(Socket s) {
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
