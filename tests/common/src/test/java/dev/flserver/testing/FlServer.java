package dev.flserver.testing;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Shared by tests/interop and tests/flink (each pom adds tests/common/src/test/java as a test
 * source root). Starts the fl-server binary (path in the system property fl.server.bin) on a free loopback
 * port with its own data directory, and stops it with SIGTERM or SIGKILL.
 */
public final class FlServer implements AutoCloseable {
    private final String role;
    private final Map<String, String> conf = new LinkedHashMap<>();
    private final Path dataDir;
    private final Path logFile;
    private Process process;
    private int port;

    public FlServer(String role) throws IOException {
        this.role = role;
        this.dataDir = Files.createTempDirectory("fl-test-");
        this.logFile = dataDir.resolve("server.log");
    }

    public static FlServer local() throws IOException {
        return new FlServer("local");
    }

    public FlServer set(String key, String value) {
        conf.put(key, value);
        return this;
    }

    public FlServer start() throws Exception {
        if (port == 0) port = freePort();
        String bin = System.getProperty("fl.server.bin");
        if (bin == null || !new File(bin).canExecute()) {
            throw new IllegalStateException("fl.server.bin does not name an executable: " + bin);
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(bin);
        cmd.add(role);
        cmd.add("-Dbind.listeners=FLUSS://127.0.0.1:" + port);
        cmd.add("-Ddata.dir=" + dataDir.resolve("data"));
        for (Map.Entry<String, String> e : conf.entrySet()) {
            cmd.add("-D" + e.getKey() + "=" + e.getValue());
        }
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        process = pb.start();
        waitForPort(Duration.ofSeconds(20));
        return this;
    }

    /** The server's data.dir. */
    public Path dataDir() {
        return dataDir.resolve("data");
    }

    public String bootstrap() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public String log() throws IOException {
        return Files.exists(logFile) ? Files.readString(logFile) : "";
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** SIGTERM and wait; returns the exit code. */
    public int stop() throws Exception {
        if (process == null) return 0;
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("fl-server did not stop within 30 s of SIGTERM");
        }
        int rc = process.exitValue();
        process = null;
        return rc;
    }

    /** SIGKILL: the crash case. */
    public void kill9() throws Exception {
        if (process == null) return;
        process.destroyForcibly().waitFor();
        process = null;
    }

    /**
     * Stops the server with SIGTERM and insists on a clean exit: a non-zero code means a crash,
     * or, in the sanitizer build, a leak or undefined behaviour found on the way.
     */
    @Override
    public void close() throws Exception {
        if (process == null) return;
        int rc = stop();
        if (rc != 0) {
            throw new IllegalStateException("fl-server exited with " + rc + ":\n" + log());
        }
    }

    private void waitForPort(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "fl-server exited with " + process.exitValue() + ":\n" + log());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("fl-server did not listen on " + port + ":\n" + log());
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
