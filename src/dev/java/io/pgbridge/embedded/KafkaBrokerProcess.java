package io.pgbridge.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka broker in a child JVM ({@code kafka.Kafka}, KRaft combined broker and controller)
 * that fault tests can kill and restart. The constructor picks two free ports, writes
 * {@code server.properties} and formats a log directory in a temporary directory;
 * {@link #start()} launches the JVM on the current classpath and blocks until the broker answers
 * metadata requests; {@link #kill()} sends SIGKILL, {@link #stop()} shuts down gracefully, and
 * {@link #restart()} starts again on the same ports and log directory so clients reconnect.
 * {@link #close()} stops the broker and deletes the directory. Not thread-safe: one test thread
 * drives the lifecycle; a shutdown hook kills a broker left running.
 */
public final class KafkaBrokerProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaBrokerProcess.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

    private final int brokerPort;
    private final int controllerPort;
    private final Path directory;
    private final Path configFile;
    private final Path logFile;
    private final Thread killOnExit;
    private volatile Process process;

    /** Chooses the ports, writes the configuration and formats storage; starts nothing. */
    public KafkaBrokerProcess() throws IOException {
        try (ServerSocket broker = new ServerSocket(0); ServerSocket controller = new ServerSocket(0)) {
            this.brokerPort = broker.getLocalPort();
            this.controllerPort = controller.getLocalPort();
        }
        this.directory = Files.createTempDirectory("pgbridge-kafka-");
        this.configFile = directory.resolve("server.properties");
        this.logFile = directory.resolve("broker.log");
        writeConfig();
        format();
        this.killOnExit = new Thread(this::destroyIfAlive, "kafka-broker-" + brokerPort + "-killer");
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /** Launches the broker JVM and blocks until it answers a metadata request. */
    public void start() throws IOException, InterruptedException {
        if (isRunning()) {
            throw new IllegalStateException("broker already running on " + bootstrapServers());
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-Xms128m", "-Xmx512m",
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "-cp", System.getProperty("java.class.path"),
                "kafka.Kafka", configFile.toString());
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        awaitReady();
        LOG.info("Kafka broker process {} ready at {}", process.pid(), bootstrapServers());
    }

    /** SIGKILL: no controlled shutdown, no flush; the next start recovers the logs. */
    public void kill() throws InterruptedException {
        if (isRunning()) {
            process.destroyForcibly().waitFor();
            LOG.info("Kafka broker process {} killed", process.pid());
        }
    }

    /** SIGTERM and wait for a controlled shutdown; SIGKILL if it takes longer than a minute. */
    public void stop() throws InterruptedException {
        if (isRunning()) {
            process.destroy();
            if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                LOG.warn("Kafka broker process {} ignored SIGTERM for {}; killing it", process.pid(), STOP_TIMEOUT);
                process.destroyForcibly().waitFor();
            }
            LOG.info("Kafka broker process {} stopped", process.pid());
        }
    }

    /** Stops the broker if it runs, then starts it again on the same ports and log directory. */
    public void restart() throws IOException, InterruptedException {
        stop();
        start();
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    public String bootstrapServers() {
        return "localhost:" + brokerPort;
    }

    /** Stops the broker and deletes its directory. */
    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            destroyIfAlive();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs anyway and finds nothing alive
        }
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitReady() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        Map<String, Object> config = Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) REQUEST_TIMEOUT.toMillis(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) REQUEST_TIMEOUT.toMillis(),
                AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 200);
        try (Admin admin = Admin.create(config)) {
            while (true) {
                if (!process.isAlive()) {
                    throw new IOException("Kafka broker exited with " + process.exitValue() + "; its log: " + logFile);
                }
                try {
                    DescribeClusterOptions options = new DescribeClusterOptions().timeoutMs((int) REQUEST_TIMEOUT.toMillis());
                    if (!admin.describeCluster(options).nodes().get().isEmpty()) {
                        return;
                    }
                } catch (ExecutionException e) {
                    LOG.debug("Kafka broker not ready yet: {}", e.getCause().toString());
                }
                if (System.nanoTime() - deadline > 0) {
                    process.destroyForcibly();
                    throw new IOException(new TimeoutException("Kafka broker not ready after " + READY_TIMEOUT + "; its log: " + logFile));
                }
                Thread.sleep(200);
            }
        }
    }

    private void writeConfig() throws IOException {
        Map<String, String> config = new TreeMap<>(SingleNodeKafkaSettings.BROKER);
        config.put("process.roles", "broker,controller");
        config.put("node.id", "1");
        config.put("controller.quorum.voters", "1@localhost:" + controllerPort);
        config.put("listeners", "PLAINTEXT://localhost:" + brokerPort + ",CONTROLLER://localhost:" + controllerPort);
        config.put("advertised.listeners", "PLAINTEXT://localhost:" + brokerPort);
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.put("controller.listener.names", "CONTROLLER");
        config.put("inter.broker.listener.name", "PLAINTEXT");
        config.put("log.dirs", directory.resolve("logs").toString());
        // After a SIGKILL the restarted node must wait out its own previous broker session.
        config.put("broker.session.timeout.ms", "2000");
        config.put("broker.heartbeat.interval.ms", "500");
        Properties properties = new Properties();
        properties.putAll(config);
        try (Writer writer = Files.newBufferedWriter(configFile, StandardCharsets.UTF_8)) {
            properties.store(writer, "pgbridge KafkaBrokerProcess");
        }
    }

    /** kafka-storage.sh format, in this JVM: one JVM start fewer than forking the tool. */
    private void format() throws IOException {
        String[] arguments = {"format", "--cluster-id", Uuid.randomUuid().toString(), "--config", configFile.toString()};
        try (OutputStream out = Files.newOutputStream(directory.resolve("format.log"));
             PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            int status = StorageTool.execute(arguments, print);
            if (status != 0) {
                throw new IOException("kafka-storage format exited with " + status + "; see " + directory.resolve("format.log"));
            }
        } catch (RuntimeException e) {
            throw new IOException("kafka-storage format failed for " + configFile, e);
        }
    }

    private void destroyIfAlive() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
