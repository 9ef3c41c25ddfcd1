package io.pgbridge.faults;

import io.pgbridge.source.SourceMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The bridge's change-source connection as the server sees it: the LISTEN connection (NOTIFY,
 * {@code application_name} {@code pgbridge-listener-*}) or the walsender streaming from the
 * bridge's replication slot (WAL, {@code pg_replication_slots.active_pid}, which
 * {@code pg_stat_replication} lists as a walsender), and that slot's state in
 * {@code pg_replication_slots}. Static helpers for the test thread; every call takes the
 * caller's connection to the bridge's database.
 */
final class SourceBackend {

  /** A row of {@code pg_replication_slots}; LSNs as byte positions, -1 when null. */
  record Slot(String name, Integer activePid, long confirmedFlushLsn, long restartLsn,
      String walStatus) {

    boolean active() {
      return activePid != null;
    }
  }

  private SourceBackend() {}

  /**
   * Terminates the backend of the bridge's source connection and waits (up to 5 s) until it
   * is gone; returns how many backends were terminated. {@code slot} is the bridge's slot in
   * WAL mode (none yet: nothing to terminate); NOTIFY ignores it.
   */
  static int terminate(Connection c, SourceMode mode, String slot) throws SQLException {
    if (mode == SourceMode.NOTIFY) {
      return count(c, "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))"
          + " FROM pg_stat_activity WHERE application_name LIKE 'pgbridge-listener-%'"
          + " AND datname = current_database()", null);
    }
    if (slot == null) {
      return 0;
    }
    return count(c, "SELECT count(*) FILTER (WHERE pg_terminate_backend(r.pid, 5000))"
        + " FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid"
        + " WHERE s.slot_name = ? AND s.database = current_database()", slot);
  }

  private static int count(Connection c, String sql, String parameter) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      if (parameter != null) {
        ps.setString(1, parameter);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /** The slot's row, or null when there is no slot of that name. */
  static Slot slot(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT active_pid,"
        + " coalesce((confirmed_flush_lsn - '0/0'::pg_lsn)::bigint, -1),"
        + " coalesce((restart_lsn - '0/0'::pg_lsn)::bigint, -1), wal_status"
        + " FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        int pid = rs.getInt(1);
        return new Slot(name, rs.wasNull() ? null : pid, rs.getLong(2), rs.getLong(3),
            rs.getString(4));
      }
    }
  }

  /** {@code pg_current_wal_lsn()} as a byte position. */
  static long currentLsn(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Drops the slot while the bridge may be running: terminates its walsender and drops it,
   * again if the bridge re-acquired it in between (SQLSTATE 55006), for up to {@code timeout}.
   * Returns whether this call dropped it (false: there was no such slot).
   */
  static boolean drop(Connection c, String slot, Duration timeout)
      throws SQLException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (slot(c, slot) == null) {
        return false;
      }
      terminate(c, SourceMode.WAL, slot);
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
        ps.setString(1, slot);
        ps.execute();
        return true;
      } catch (SQLException e) {
        // active again (the bridge reconnected first), or dropped meanwhile by someone else
        boolean retry = "55006".equals(e.getSQLState()) || "42704".equals(e.getSQLState());
        if (!retry || System.nanoTime() - deadline > 0) {
          throw e;
        }
      }
      Thread.sleep(5);
    }
  }
}
