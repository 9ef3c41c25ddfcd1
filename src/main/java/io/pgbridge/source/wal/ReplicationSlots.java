package io.pgbridge.source.wal;

import io.pgbridge.config.Identifiers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The SQL of the slot's lifecycle: reading its row of {@code pg_replication_slots} (with the
 * columns of the server's major version), creating and dropping it, and the bridge row's
 * {@code wal_slot} and {@code wal_catchup_from} in {@code pgbridge_checkpoint}. Slot names are
 * checked by {@link SlotNames} before they get here, so they enter SQL as literals safely.
 * Stateless apart from its settings; thread-safe.
 */
final class ReplicationSlots {

  /** {@code wal_catchup_from} when every session and the whole deletion log are owed. */
  static final String ALL = "all";

  /** A slot's row; {@code exists} false when there is none. LSNs are raw positions (0: null). */
  record SlotState(boolean exists, String plugin, boolean ourDatabase, boolean active,
      Integer activePid, String walStatus, boolean conflicting, String invalidationReason,
      long confirmedFlushLsn, long restartLsn, double lagBytes, double retainedBytes) {

    static SlotState missing() {
      return new SlotState(false, null, false, false, null, null, false, null, 0, 0, Double.NaN,
          Double.NaN);
    }

    /** Why the slot can no longer stream, or null when it can (or does not exist). */
    String invalidation() {
      if (!exists) {
        return null;
      }
      if ("lost".equals(walStatus)) {
        return "wal_status is lost (max_slot_wal_keep_size exceeded)";
      }
      if (invalidationReason != null) {
        return "invalidated: " + invalidationReason;
      }
      if (conflicting) {
        return "conflicting (invalidated by recovery conflict)";
      }
      return null;
    }
  }

  /** The bridge row's slot columns; both null when there is no row or nothing recorded. */
  record Recorded(String slot, String catchupFrom) {}

  private final DataSource pool;
  private final String checkpointTable;
  private final String bridgeId;
  private final String slot;

  ReplicationSlots(DataSource pool, String schema, String bridgeId, String slot) {
    String problem = SlotNames.problem(slot);
    if (problem != null) {
      throw new IllegalArgumentException("slot name '" + slot + "': " + problem);
    }
    this.pool = pool;
    this.checkpointTable = Identifiers.qualified(schema, "pgbridge_checkpoint");
    this.bridgeId = bridgeId;
    this.slot = slot;
  }

  String slot() {
    return slot;
  }

  DataSource pool() {
    return pool;
  }

  static int serverMajor(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SHOW server_version_num")) {
      rs.next();
      return Integer.parseInt(rs.getString(1).trim()) / 10_000;
    }
  }

  static int backendPid(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** The slot's row, read on {@code c} (the replication connection or a pooled one). */
  SlotState read(Connection c, int major) throws SQLException {
    String sql = "SELECT plugin, database IS NOT DISTINCT FROM current_database(), active, active_pid, wal_status, "
        + (major >= 16 ? "conflicting" : "NULL::boolean") + ", "
        + (major >= 17 ? "invalidation_reason" : "NULL::text") + ", "
        + "confirmed_flush_lsn::text, restart_lsn::text, "
        + "CASE WHEN pg_is_in_recovery() THEN NULL"
        + " ELSE (pg_current_wal_lsn() - confirmed_flush_lsn)::float8 END, "
        + "CASE WHEN pg_is_in_recovery() THEN NULL"
        + " ELSE (pg_current_wal_lsn() - restart_lsn)::float8 END "
        + "FROM pg_replication_slots WHERE slot_name = '" + slot + "'";
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      if (!rs.next()) {
        return SlotState.missing();
      }
      int pid = rs.getInt(4);
      Integer activePid = rs.wasNull() ? null : pid;
      return new SlotState(true, rs.getString(1), rs.getBoolean(2), rs.getBoolean(3), activePid,
          rs.getString(5), rs.getBoolean(6), rs.getString(7), lsn(rs.getString(8)),
          lsn(rs.getString(9)), number(rs, 10), number(rs, 11));
    }
  }

  /** The sync_state of walsender {@code pid} in pg_stat_replication, or null. */
  static String syncState(Connection c, int pid) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT sync_state FROM pg_stat_replication WHERE pid = ?")) {
      ps.setInt(1, pid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /** Other bridge ids whose row records this slot. */
  List<String> recordedByOthers() throws SQLException {
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT bridge_id FROM " + checkpointTable + " WHERE wal_slot = ? AND bridge_id <> ?"
            + " ORDER BY bridge_id")) {
      ps.setString(1, slot);
      ps.setString(2, bridgeId);
      List<String> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    }
  }

  Recorded recorded() throws SQLException {
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT wal_slot, wal_catchup_from FROM " + checkpointTable + " WHERE bridge_id = ?")) {
      ps.setString(1, bridgeId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new Recorded(rs.getString(1), rs.getString(2))
            : new Recorded(null, null);
      }
    }
  }

  /**
   * Records the slot and the catch-up it owes in one transaction, before the slot is created:
   * a crash between the two leaves the catch-up owed. Refuses (stores nothing) when another
   * bridge's row records this slot.
   */
  void record(String catchupFrom) throws SQLException {
    try (Connection c = pool.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + checkpointTable
            + " (bridge_id, snapshot, wal_slot, wal_catchup_from) VALUES (?, NULL, ?, ?)"
            + " ON CONFLICT (bridge_id) DO UPDATE SET wal_slot = EXCLUDED.wal_slot,"
            + " wal_catchup_from = EXCLUDED.wal_catchup_from")) {
          ps.setString(1, bridgeId);
          ps.setString(2, slot);
          ps.setString(3, catchupFrom);
          ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT bridge_id FROM "
            + checkpointTable + " WHERE wal_slot = ? AND bridge_id <> ? LIMIT 1")) {
          ps.setString(1, slot);
          ps.setString(2, bridgeId);
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
              throw foreign(rs.getString(1));
            }
          }
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    }
  }

  /** Clears the owed catch-up once it is done, unless a newer loss recorded another since. */
  void clearCatchup(String done) throws SQLException {
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(
        "UPDATE " + checkpointTable + " SET wal_catchup_from = NULL"
            + " WHERE bridge_id = ? AND wal_catchup_from = ?")) {
      ps.setString(1, bridgeId);
      ps.setString(2, done);
      ps.executeUpdate();
    }
  }

  /**
   * Drops the slot if it exists. A slot still active in another process (the walsender of a
   * connection that has not ended yet) is a transient error: the runner retries.
   */
  void drop() throws SQLException {
    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
      st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
          + " WHERE slot_name = '" + slot + "'");
    } catch (SQLException e) {
      throw active(e);
    }
  }

  /**
   * Creates the slot for pgoutput ({@code failover}: PostgreSQL 17's FAILOVER option). If the
   * server refuses (no free slot, a long transaction ended the wait), the bridge row no longer
   * records the slot, so that the next attempt does not take the missing slot for a lost one;
   * the owed catch-up stays recorded.
   */
  void create(boolean failover) throws SQLException {
    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
      st.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput', false,"
          + " false" + (failover ? ", true" : "") + ")");
    } catch (SQLException e) {
      try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(
          "UPDATE " + checkpointTable + " SET wal_slot = NULL WHERE bridge_id = ?")) {
        ps.setString(1, bridgeId);
        ps.executeUpdate();
      } catch (SQLException e2) {
        e.addSuppressed(e2);
      }
      throw active(e);
    }
  }

  /** 55006 (object in use: a slot active in another process) as a retryable error. */
  SQLException active(SQLException e) {
    if (!"55006".equals(e.getSQLState())) {
      return e;
    }
    return new SQLException("replication slot " + slot + " is active in another process ("
        + e.getMessage() + "): retrying", "55P03", e);
  }

  SQLException foreign(String otherBridge) {
    return new SQLException("replication slot " + slot + " is recorded by bridge.id '"
        + otherBridge + "': two bridges cannot share a slot; set wal.slot.name to another name"
        + " (or leave it unset for the default derived from bridge.id)", "55000");
  }

  private static long lsn(String text) {
    return text == null ? 0 : LogSequenceNumber.valueOf(text).asLong();
  }

  private static double number(ResultSet rs, int column) throws SQLException {
    double v = rs.getDouble(column);
    return rs.wasNull() ? Double.NaN : v;
  }
}
