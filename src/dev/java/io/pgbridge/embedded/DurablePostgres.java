package io.pgbridge.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server from the system's binaries (Debian's {@code /usr/lib/postgresql/15/bin}
 * by default) in a fresh temporary directory, with commits durable as in production:
 * {@code fsync=on}, {@code synchronous_commit=on}, {@code full_page_writes=on}. The embedded
 * server of the tests ({@link EmbeddedPostgresServer}) always runs with fsync off, which hides
 * what a commit's WAL flush costs and so what serialises commits; writer benchmarks need this one.
 * {@code fsync} can be turned off for a side-by-side run on the same binaries and disk.
 *
 * <p>{@code wal_level=logical} with 40 replication slots and WAL senders, 300 connections,
 * TCP on localhost only (a free port), trust authentication, everything else at PostgreSQL's
 * defaults. PostgreSQL refuses to run as root: started by root, initdb and the server run as
 * {@code nobody} through {@code setpriv} (as the launcher and CI check readability), and the
 * directory is given to {@code nobody}; it must lie below directories {@code nobody} may enter
 * (the launcher's {@code java.io.tmpdir} does). {@link #start} returns once the server accepts
 * connections; {@link #close()} stops it ({@code pg_ctl stop -m fast}) and deletes the
 * directory. One thread owns the lifecycle; any thread may connect.
 */
public final class DurablePostgres implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DurablePostgres.class);
  /** Debian's PostgreSQL 15 server package. */
  public static final Path DEFAULT_BINARIES = Path.of("/usr/lib/postgresql/15/bin");
  private static final String USER = "postgres";
  private static final int NOBODY = 65534;
  private static final Duration STARTUP_WAIT = Duration.ofSeconds(60);
  private static final Duration STOP_WAIT = Duration.ofSeconds(60);

  private final Path binaries;
  private final Path baseDir;
  private final Path dataDir;
  private final Path logFile;
  private final int port;
  private final boolean asNobody;
  private final boolean fsync;
  private final Process server;

  private DurablePostgres(Path binaries, Path baseDir, int port, boolean asNobody, boolean fsync,
      Process server) {
    this.binaries = binaries;
    this.baseDir = baseDir;
    this.dataDir = baseDir.resolve("data");
    this.logFile = baseDir.resolve("postgres.log");
    this.port = port;
    this.asNobody = asNobody;
    this.fsync = fsync;
    this.server = server;
  }

  /** A durable server ({@code fsync=on}) from {@link #DEFAULT_BINARIES}. */
  public static DurablePostgres start() throws IOException {
    return start(DEFAULT_BINARIES, true);
  }

  /**
   * Runs initdb in a new directory below {@code java.io.tmpdir} and starts the server with
   * {@code fsync} as given (everything else durable); blocks until it accepts connections.
   */
  public static DurablePostgres start(Path binaries, boolean fsync) throws IOException {
    if (!Files.isExecutable(binaries.resolve("postgres"))
        || !Files.isExecutable(binaries.resolve("initdb"))) {
      throw new IOException("no PostgreSQL server binaries in " + binaries
          + " (Debian: apt-get install postgresql-15)");
    }
    boolean asNobody = isRoot();
    Path baseDir = Files.createTempDirectory("pgbridge-durable-");
    Path logFile = baseDir.resolve("postgres.log");
    if (asNobody) {
      Files.setAttribute(baseDir, "unix:uid", NOBODY);
      Files.setAttribute(baseDir, "unix:gid", NOBODY);
    }
    Files.setPosixFilePermissions(baseDir, PosixFilePermissions.fromString("rwx------"));
    Path dataDir = baseDir.resolve("data");
    try {
      run(asNobody, logFile, Duration.ofSeconds(120), binaries.resolve("initdb").toString(),
          "-D", dataDir.toString(), "-U", USER, "-A", "trust", "-E", "UTF8", "--no-locale",
          "--no-sync");
      int port = freePort();
      List<String> command = new ArrayList<>(asNobody ? setpriv() : List.of());
      command.add(binaries.resolve("postgres").toString());
      command.addAll(List.of("-D", dataDir.toString(), "-p", Integer.toString(port)));
      settings(fsync).forEach((k, v) -> command.addAll(List.of("-c", k + "=" + v)));
      // a file, not a pipe: an unread pipe would block the server once it fills
      Process server = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
      DurablePostgres pg = new DurablePostgres(binaries, baseDir, port, asNobody, fsync, server);
      pg.awaitReady();
      LOG.info("PostgreSQL ({}) started on port {} with fsync={} (data {})", binaries, port,
          fsync ? "on" : "off", dataDir);
      return pg;
    } catch (IOException | RuntimeException e) {
      deleteTree(baseDir, logFile);
      throw e;
    }
  }

  /** The server settings given on the command line (they win over postgresql.conf). */
  static Map<String, String> settings(boolean fsync) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("fsync", fsync ? "on" : "off");
    s.put("synchronous_commit", "on");
    s.put("full_page_writes", "on");
    s.put("wal_level", "logical");
    s.put("max_replication_slots", "40");
    s.put("max_wal_senders", "40");
    s.put("max_connections", "300");
    s.put("listen_addresses", "localhost");
    s.put("unix_socket_directories", "");
    s.put("timezone", "UTC");
    return s;
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://localhost:" + port + "/postgres";
  }

  public String user() {
    return USER;
  }

  /** Any password is accepted (trust); a non-empty one suits clients that insist. */
  public String password() {
    return USER;
  }

  public int port() {
    return port;
  }

  public boolean fsync() {
    return fsync;
  }

  /** The postmaster's process id (its children are the backends and background workers). */
  public long pid() {
    return server.pid();
  }

  /** The server's version, e.g. {@code 15.14}, and where its data lives, for reports. */
  public String describe() {
    try (Connection c = DriverManager.getConnection(jdbcUrl(), USER, USER);
        var rs = c.createStatement().executeQuery("SHOW server_version")) {
      rs.next();
      return "PostgreSQL " + rs.getString(1) + " (" + binaries + "), fsync=" + (fsync ? "on"
          : "off") + ", synchronous_commit=on, data on " + filesystemOf(dataDir);
    } catch (SQLException e) {
      return "PostgreSQL (" + binaries + "), fsync=" + (fsync ? "on" : "off");
    }
  }

  /** Stops the server ({@code pg_ctl stop -m fast}) and deletes its directory. */
  @Override
  public void close() {
    try {
      if (server.isAlive()) {
        try {
          run(asNobody, logFile, STOP_WAIT, binaries.resolve("pg_ctl").toString(), "-D",
              dataDir.toString(), "-m", "fast", "-w", "-t", Long.toString(STOP_WAIT.toSeconds()),
              "stop");
        } catch (IOException e) {
          LOG.warn("pg_ctl stop failed ({}); killing the server", e.getMessage());
        }
        if (!server.waitFor(10, TimeUnit.SECONDS)) {
          server.destroyForcibly();
          server.waitFor(10, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      server.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    deleteTree(baseDir, null);
    LOG.info("PostgreSQL on port {} stopped", port);
  }

  private void awaitReady() throws IOException {
    long deadline = System.nanoTime() + STARTUP_WAIT.toNanos();
    SQLException last = null;
    while (System.nanoTime() < deadline) {
      if (!server.isAlive()) {
        throw new IOException("PostgreSQL exited with " + server.exitValue() + " during start;"
            + " its log:\n" + tail(logFile));
      }
      try (Connection c = DriverManager.getConnection(jdbcUrl(), USER, USER)) {
        return;
      } catch (SQLException e) {
        last = e;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        server.destroyForcibly();
        throw new IOException("interrupted while waiting for PostgreSQL", e);
      }
    }
    server.destroyForcibly();
    throw new IOException("PostgreSQL did not accept connections within " + STARTUP_WAIT
        + " (" + (last == null ? "" : last.getMessage()) + "); its log:\n" + tail(logFile));
  }

  /** Runs a PostgreSQL program to completion (as nobody when root), output to the log. */
  private static void run(boolean asNobody, Path logFile, Duration timeout, String... args)
      throws IOException {
    List<String> command = new ArrayList<>(asNobody ? setpriv() : List.of());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
    try {
      if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(command + " did not finish within " + timeout);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command, e);
    }
    if (p.exitValue() != 0) {
      throw new IOException(command + " exited with " + p.exitValue() + "; its log:\n"
          + tail(logFile));
    }
  }

  private static List<String> setpriv() {
    return List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--");
  }

  private static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** The mount point and type of the file system holding {@code path} (tmpfs makes fsync moot). */
  static String filesystemOf(Path path) {
    try {
      String best = "";
      String type = "?";
      String target = path.toRealPath().toString();
      for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
        String[] f = line.split(" ");
        if (f.length > 2 && (target.equals(f[1]) || target.startsWith(f[1].endsWith("/") ? f[1]
            : f[1] + "/")) && f[1].length() >= best.length()) {
          best = f[1];
          type = f[2];
        }
      }
      return best + " (" + type + ")";
    } catch (IOException e) {
      return "?";
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static void deleteTree(Path dir, Path keep) {
    if (keep != null && Files.exists(keep)) {
      LOG.warn("PostgreSQL log kept at {}:\n{}", keep, tail(keep));
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
