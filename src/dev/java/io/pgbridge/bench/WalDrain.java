package io.pgbridge.bench;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

/**
 * The stand-in for a WAL-mode bridge in writer benchmarks: streams the publication from a
 * logical slot with pgoutput (pgjdbc's replication API) and confirms every position as soon as
 * it is received, keepalives included. It publishes nothing and fetches nothing, so what
 * writers pay with it running is the WAL source's cost on the server (walsender decoding,
 * status updates) without the bridge's own work; a real bridge adds its fetches. Runs on one
 * thread named {@code wal-drain}; {@link #start} returns once the stream is open,
 * {@link #close()} ends it. The slot must exist and be inactive.
 */
final class WalDrain implements AutoCloseable {

  private final Connection conn;
  private final PGReplicationStream stream;
  private final Thread reader;
  private final AtomicLong messages = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile boolean running = true;

  private WalDrain(Connection conn, PGReplicationStream stream) {
    this.conn = conn;
    this.stream = stream;
    this.reader = new Thread(this::loop, "wal-drain");
    reader.setDaemon(true);
  }

  /** Creates a pgoutput slot {@code slot} on {@code database} (not yet streaming). */
  static void createSlot(BenchInfra infra, String database, String slot) throws SQLException {
    try (Connection c = infra.connect(database); PreparedStatement ps = c.prepareStatement(
        "SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
      ps.setString(1, slot);
      ps.execute();
    }
  }

  /**
   * Moves an inactive slot to the server's current position, so that a stream started next
   * does not first decode what other databases wrote meanwhile (outside the measured runs).
   */
  static void advanceToCurrent(BenchInfra infra, String database, String slot)
      throws SQLException {
    try (Connection c = infra.connect(database)) {
      awaitInactive(c, slot);
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT pg_replication_slot_advance(?, pg_current_wal_lsn())")) {
        ps.setString(1, slot);
        ps.execute();
      }
    }
  }

  /** Opens a replication connection and starts streaming {@code publication} from {@code slot}. */
  static WalDrain start(BenchInfra infra, String database, String slot, String publication)
      throws SQLException {
    Properties p = new Properties();
    PGProperty.USER.set(p, infra.user());
    PGProperty.PASSWORD.set(p, infra.password());
    PGProperty.REPLICATION.set(p, "database");
    PGProperty.PREFER_QUERY_MODE.set(p, "simple");
    PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
    PGProperty.APPLICATION_NAME.set(p, "wal-drain");
    Connection conn = DriverManager.getConnection(infra.url(database), p);
    try {
      PGReplicationStream stream = conn.unwrap(PGConnection.class).getReplicationAPI()
          .replicationStream().logical().withSlotName(slot)
          .withSlotOption("proto_version", "1")
          .withSlotOption("publication_names", publication)
          .withStatusInterval(1, TimeUnit.SECONDS)
          .start();
      WalDrain drain = new WalDrain(conn, stream);
      drain.reader.start();
      return drain;
    } catch (SQLException | RuntimeException e) {
      conn.close();
      throw e;
    }
  }

  private void loop() {
    long flushed = 0;
    long lastForced = System.nanoTime();
    try {
      while (running) {
        ByteBuffer msg = stream.readPending();
        if (msg != null) {
          messages.incrementAndGet();
        }
        // advanced by data and by keepalives alike
        LogSequenceNumber received = stream.getLastReceiveLSN();
        if (received.asLong() > flushed) {
          flushed = received.asLong();
          stream.setAppliedLSN(received);
          stream.setFlushedLSN(received);
          if (System.nanoTime() - lastForced > 100_000_000L) {
            stream.forceUpdateStatus();
            lastForced = System.nanoTime();
          }
        }
        if (msg == null) {
          Thread.sleep(1);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (SQLException | RuntimeException e) {
      if (running) {
        failure.set(e);
      }
    }
  }

  /** pgoutput messages received (BEGIN, RELATION, row changes, COMMIT). */
  long messages() {
    return messages.get();
  }

  /**
   * Waits until the slot's confirmed position reaches {@code lsn} (text form); false after
   * {@code timeoutMs}. Throws if the stream failed.
   */
  boolean awaitConfirmed(BenchInfra infra, String database, String slot, String lsn,
      long timeoutMs) throws SQLException, InterruptedException {
    return awaitConfirmed(infra, database, slot, lsn, timeoutMs, failure);
  }

  /** The same for any reader of {@code slot}; {@code failure} (may be null) is checked too. */
  static boolean awaitConfirmed(BenchInfra infra, String database, String slot, String lsn,
      long timeoutMs, AtomicReference<Throwable> failure) throws SQLException,
      InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    try (Connection c = infra.connect(database); PreparedStatement ps = c.prepareStatement(
        "SELECT confirmed_flush_lsn >= ?::pg_lsn FROM pg_replication_slots"
            + " WHERE slot_name = ?")) {
      ps.setString(1, lsn);
      ps.setString(2, slot);
      while (System.nanoTime() < deadline) {
        if (failure != null && failure.get() != null) {
          throw new IllegalStateException("WAL stream failed", failure.get());
        }
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next() && rs.getBoolean(1)) {
            return true;
          }
        }
        Thread.sleep(20);
      }
    }
    return false;
  }

  /** The server's current WAL position, as text. */
  static String currentLsn(BenchInfra infra, String database) throws SQLException {
    try (Connection c = infra.connect(database);
        ResultSet rs = c.createStatement().executeQuery("SELECT pg_current_wal_lsn()::text")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static void awaitInactive(Connection c, String slot) throws SQLException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      while (true) {
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new SQLException("no replication slot " + slot);
          }
          if (!rs.getBoolean(1)) {
            return;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new SQLException("slot " + slot + " still active after 10 s");
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SQLException("interrupted waiting for slot " + slot, e);
        }
      }
    }
  }

  @Override
  public void close() throws SQLException, InterruptedException {
    running = false;
    reader.join(5_000);
    try {
      stream.close();
    } finally {
      conn.close();
    }
  }
}
