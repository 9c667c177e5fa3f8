package dev.allocline.quarkus.test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * s3proxy (in memory, checking SigV4 signatures) as a process of its own on 127.0.0.1, started once per JVM and
 * stopped with it: on a Quarkus application's class path its Jackson would meet Quarkus'. Its class path is the file
 * {@code allocline-quarkus-s3proxy-classpath} writes (system property {@code allocline.s3proxy.classpath}).
 */
final class S3ProxyProcess {

    static final String ACCESS_KEY = "allocline-test";
    static final String SECRET_KEY = "allocline-test-secret";

    /** Where the running server's endpoint is kept: QuarkusUnitTest loads a test class twice, the server starts once. */
    private static final String ENDPOINT = "allocline.test.s3proxy.endpoint";

    private S3ProxyProcess() {
    }

    /** The endpoint of the JVM's s3proxy, started on the first call. */
    static synchronized String endpoint() {
        String running = System.getProperty(ENDPOINT);
        if (running != null) {
            return running;
        }
        try {
            String endpoint = start();
            System.setProperty(ENDPOINT, endpoint);
            return endpoint;
        } catch (IOException e) {
            throw new IllegalStateException("could not start s3proxy", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted starting s3proxy", e);
        }
    }

    private static String start() throws IOException, InterruptedException {
        Path classpathFile = Path.of(System.getProperty("allocline.s3proxy.classpath",
                "../s3proxy-classpath/target/s3proxy.classpath"));
        String classpath = Files.readString(classpathFile, StandardCharsets.UTF_8).trim();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path properties = Files.createTempFile("s3proxy", ".properties");
        Files.writeString(properties, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "s3proxy.ignore-unknown-headers=true",
                "jclouds.provider=transient",
                "jclouds.identity=" + ACCESS_KEY,
                "jclouds.credential=" + SECRET_KEY, ""));
        Path log = Files.createTempFile("s3proxy", ".log");
        Process process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classpath, "org.gaul.s3proxy.Main", "--properties", properties.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroy));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return "http://127.0.0.1:" + port;
            } catch (IOException notYet) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    process.destroy();
                    throw new IllegalStateException("s3proxy did not start on port " + port + ": "
                            + Files.readString(log, StandardCharsets.UTF_8));
                }
                Thread.sleep(50); // polling the port for the condition "s3proxy listens"
            }
        }
    }
}
