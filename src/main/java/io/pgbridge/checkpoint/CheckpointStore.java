package io.pgbridge.checkpoint;

import io.pgbridge.config.Identifiers;
import io.pgbridge.source.SourceMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The SQL side of checkpoints and catch-up. A checkpoint is a PostgreSQL snapshot
 * ({@code pg_snapshot} text, e.g. {@code 742:745:743}) stored per bridge id in
 * {@code pgbridge_checkpoint}; every change visible in it has been acknowledged by Kafka.
 * Catch-up reads the sessions whose {@code last_txid} is not visible in it (an index range
 * scan from the snapshot's xmin) and the deletion log likewise. The barrier travels the way
 * the bridge's {@link SourceMode} reads changes, and a checkpoint is stored only while the
 * database's recorded source mode is that mode. Stateless apart from the pool; thread-safe.
 */
public final class CheckpointStore implements Checkpointer.Store {

  private final DataSource pool;
  private final String bridgeId;
  private final String checkpointTable;
  private final String deletedTable;
  private final String sessions;
  private final String modeTable;
  private final boolean releaseOnStore;
  private final SourceMode mode;
  private final String channel;

  /**
   * A NOTIFY bridge on {@code listen.channel} {@code channel}; see
   * {@link #CheckpointStore(DataSource, String, String, String, boolean, SourceMode, String)}.
   */
  public CheckpointStore(DataSource pool, String schema, String sessionsTable, String bridgeId,
      boolean settles, String channel) {
    this(pool, schema, sessionsTable, bridgeId, settles, SourceMode.NOTIFY, channel);
  }

  /**
   * {@code settles}: whether this bridge runs settle passes after acquiring the leader lock;
   * if not, the snapshot retained by its first start is released by its first checkpoint.
   * {@code mode} says how barriers travel: on {@code channel} with {@code pg_notify} (NOTIFY;
   * {@code channel} is unused in WAL mode), or as a transactional logical decoding message
   * with prefix {@value #WAL_BARRIER_PREFIX} whose content is the barrier id (WAL).
   */
  public CheckpointStore(DataSource pool, String schema, String sessionsTable, String bridgeId,
      boolean settles, SourceMode mode, String channel) {
    this.pool = pool;
    this.mode = mode;
    this.channel = channel;
    this.modeTable = Identifiers.qualified(schema, "pgbridge_source_mode");
    this.releaseOnStore = !settles;
    this.bridgeId = bridgeId;
    this.checkpointTable = Identifiers.qualified(schema, "pgbridge_checkpoint");
    this.deletedTable = Identifiers.qualified(schema, "pgbridge_deleted_sessions");
    this.sessions = Identifiers.qualified(schema, sessionsTable);
  }

  /** The prefix of the logical decoding message that carries a barrier in WAL mode. */
  public static final String WAL_BARRIER_PREFIX = "pgbridge.barrier";

  /**
   * A checkpoint refused because the database records another source mode than this bridge's
   * (SQLSTATE 55000): a bridge of the old mode still running during a switch must not store
   * checkpoints past writes it never saw.
   */
  public static final class ModeMismatchException extends SQLException {
    public ModeMismatchException(String message) {
      super(message, "55000");
    }
  }

  /** A stored checkpoint: the snapshot and when it was stored (epoch millis, DB clock). */
  public record Checkpoint(String snapshot, long storedAtMillis) {}

  public Optional<Checkpoint> load() throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT snapshot::text,"
            + " (extract(epoch FROM stored_at) * 1000)::bigint FROM " + checkpointTable
            + " WHERE bridge_id = ? AND snapshot IS NOT NULL")) {
      ps.setString(1, bridgeId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new Checkpoint(rs.getString(1), rs.getLong(2)))
            : Optional.empty();
      }
    }
  }

  /**
   * A first start registers this bridge before it publishes anything: its row, with no
   * checkpoint yet, retains every deletion logged from now on, so that another bridge's
   * checkpoints cannot prune a tombstone this one owes. Does nothing when the row exists.
   */
  public void register() throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement ps = c.prepareStatement("INSERT INTO " + checkpointTable
            + " (bridge_id, snapshot, retain) VALUES (?, NULL, pg_current_snapshot())"
            + " ON CONFLICT (bridge_id) DO NOTHING")) {
      ps.setString(1, bridgeId);
      ps.executeUpdate();
    }
  }

  /**
   * Retains {@code snapshot} (null: the current one) for a settle pass, unless an older one is
   * retained already (a settle that a crash interrupted); returns the snapshot retained, which
   * the settle pass starts from.
   */
  public String retain(String snapshot) throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement ps = c.prepareStatement("INSERT INTO " + checkpointTable
            + " (bridge_id, snapshot, retain) VALUES (?, NULL,"
            + " coalesce(?::pg_snapshot, pg_current_snapshot()))"
            + " ON CONFLICT (bridge_id) DO UPDATE SET retain = coalesce("
            + checkpointTable + ".retain, EXCLUDED.retain) RETURNING retain::text")) {
      ps.setString(1, bridgeId);
      ps.setString(2, snapshot);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  /** Ends the retention of {@link #retain}: the settle pass has published what it marked. */
  public void release() throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement ps = c.prepareStatement("UPDATE " + checkpointTable
            + " SET retain = NULL WHERE bridge_id = ?")) {
      ps.setString(1, bridgeId);
      ps.executeUpdate();
    }
  }

  /**
   * A snapshot taken for a checkpoint and a database time read before it was taken: every
   * transaction whose commit completed before {@code takenAt} is visible in it.
   */
  public record Barrier(String snapshot, Instant takenAt) {}

  /**
   * Takes a snapshot and, in the same transaction, sends the barrier {@code barrierId}: as
   * {@code {"barrier":"<id>"}} on the channel (NOTIFY), or as
   * {@code pg_logical_emit_message(true, 'pgbridge.barrier', <id>)} (WAL). Both are delivered
   * in commit order, so once the barrier arrives every change visible in the snapshot has been
   * received.
   */
  @Override
  public Barrier beginBarrier(String barrierId) throws SQLException {
    // The database time is read in a transaction of its own, committed before the barrier's
    // begins: whatever the isolation level, the snapshot is taken after it.
    Instant before;
    try (Connection c = pool.getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      long micros = rs.getLong(1);
      before = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000),
          Math.floorMod(micros, 1_000_000) * 1_000L);
      if (!c.getAutoCommit()) {
        c.commit();
      }
    }
    return inTransaction(c -> {
      String snapshot;
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_current_snapshot()::text");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        snapshot = rs.getString(1);
      }
      if (mode == SourceMode.WAL) {
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT pg_logical_emit_message(true, ?, ?)")) {
          ps.setString(1, WAL_BARRIER_PREFIX);
          ps.setString(2, barrierId);
          ps.execute();
        }
      } else {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
          ps.setString(1, channel);
          ps.setString(2, notifyBarrierPayload(barrierId));
          ps.execute();
        }
      }
      return new Barrier(snapshot, before);
    });
  }

  /** The NOTIFY payload of barrier {@code barrierId}, which the notification parser reads. */
  static String notifyBarrierPayload(String barrierId) {
    return "{\"barrier\":\"" + barrierId.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
  }

  /**
   * The source mode the database records ({@code pgbridge_source_mode}, written by
   * {@code pgbridge migrate}); NOTIFY when the table or its row is absent (databases migrated
   * before source modes existed).
   */
  public SourceMode recordedMode() throws SQLException {
    try (Connection c = pool.getConnection()) {
      return recordedMode(c);
    }
  }

  private SourceMode recordedMode(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, modeTable);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return SourceMode.NOTIFY;
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT mode FROM " + modeTable + " LIMIT 1");
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? SourceMode.of(rs.getString(1)) : SourceMode.NOTIFY;
    }
  }

  /**
   * Refuses to run this bridge against a database that records another source mode (a fatal
   * {@link ModeMismatchException} that names the command to switch it).
   */
  public void requireRecordedMode() throws SQLException {
    SourceMode recorded = recordedMode();
    if (recorded != mode) {
      throw new ModeMismatchException("this bridge runs source.mode=" + mode.value()
          + " but the database records source.mode=" + recorded.value() + ": run `pgbridge"
          + " migrate --source-mode " + mode.value() + "` to switch the database (it drops the"
          + " objects of " + recorded.value() + " mode), or set source.mode="
          + recorded.value());
    }
  }

  /** The current snapshot, without a barrier (the first checkpoint of catchup.initial=none). */
  public String currentSnapshot() throws SQLException {
    try (Connection c = pool.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT pg_current_snapshot()::text");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getString(1);
    }
  }

  /**
   * Stores {@code snapshot} as this bridge's checkpoint and prunes deletion-log entries that
   * no bridge needs any more: older than the xmin of every bridge's checkpoint and of every
   * retained snapshot. Refuses with {@link ModeMismatchException}, storing nothing, when the
   * database records another source mode than this bridge's.
   */
  @Override
  public void store(String snapshot) throws SQLException {
    inTransaction(c -> {
      SourceMode recorded = recordedMode(c);
      if (recorded != mode) {
        throw new ModeMismatchException("checkpoint not stored: the database records"
            + " source.mode=" + recorded.value() + " but this bridge runs source.mode="
            + mode.value() + " (stop it, or run `pgbridge migrate --source-mode "
            + mode.value() + "`)");
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + checkpointTable
          + " (bridge_id, snapshot, stored_at) VALUES (?, ?::pg_snapshot, now())"
          + " ON CONFLICT (bridge_id) DO UPDATE"
          + " SET snapshot = EXCLUDED.snapshot, stored_at = EXCLUDED.stored_at"
          + (releaseOnStore ? ", retain = NULL" : ""))) {
        ps.setString(1, bridgeId);
        ps.setString(2, snapshot);
        ps.executeUpdate();
      }
      // the oldest horizon by ORDER BY ... LIMIT 1: PostgreSQL 14 has no min(xid8)
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + deletedTable
          + " WHERE txid < (SELECT least(pg_snapshot_xmin(snapshot), pg_snapshot_xmin(retain))"
          + " AS horizon FROM " + checkpointTable + " ORDER BY horizon LIMIT 1)")) {
        ps.executeUpdate();
      }
      return null;
    });
  }

  /** Work in one transaction on a pooled connection. */
  private interface TransactionWork<T> {
    T run(Connection c) throws SQLException;
  }

  private <T> T inTransaction(TransactionWork<T> work) throws SQLException {
    try (Connection c = pool.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    }
  }

  /**
   * Up to {@code limit} ids of sessions written by a transaction not visible in
   * {@code snapshot}, after {@code afterId} (null: from the start), in id order.
   */
  public List<UUID> changedSince(String snapshot, UUID afterId, int limit) throws SQLException {
    String sql = "SELECT id FROM " + sessions
        + " WHERE last_txid >= pg_snapshot_xmin(?::pg_snapshot)"
        + " AND NOT pg_visible_in_snapshot(last_txid, ?::pg_snapshot)"
        + (afterId == null ? "" : " AND id > ?") + " ORDER BY id LIMIT ?";
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 0;
      ps.setString(++i, snapshot);
      ps.setString(++i, snapshot);
      if (afterId != null) {
        ps.setObject(++i, afterId);
      }
      ps.setInt(++i, limit);
      return ids(ps);
    }
  }

  /**
   * Up to {@code limit} ids of sessions deleted by a transaction not visible in
   * {@code snapshot} (null: every logged deletion, for a first start), after {@code afterId}
   * (null: from the start), in id order. Paged: a TRUNCATE of millions of sessions while the
   * bridge was down must not be read, or marked, in one piece.
   */
  public List<UUID> deletedSince(String snapshot, UUID afterId, int limit)
      throws SQLException {
    String sql = "SELECT DISTINCT session_id FROM " + deletedTable + " WHERE true"
        + (snapshot == null ? "" : " AND txid >= pg_snapshot_xmin(?::pg_snapshot)"
            + " AND NOT pg_visible_in_snapshot(txid, ?::pg_snapshot)")
        + (afterId == null ? "" : " AND session_id > ?") + " ORDER BY session_id LIMIT ?";
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 0;
      if (snapshot != null) {
        ps.setString(++i, snapshot);
        ps.setString(++i, snapshot);
      }
      if (afterId != null) {
        ps.setObject(++i, afterId);
      }
      ps.setInt(++i, limit);
      return ids(ps);
    }
  }

  /** Up to {@code limit} session ids after {@code afterId} (null: from the start), in order. */
  public List<UUID> allSessions(UUID afterId, int limit) throws SQLException {
    String sql = "SELECT id FROM " + sessions + (afterId == null ? "" : " WHERE id > ?")
        + " ORDER BY id LIMIT ?";
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 0;
      if (afterId != null) {
        ps.setObject(++i, afterId);
      }
      ps.setInt(++i, limit);
      return ids(ps);
    }
  }

  private static List<UUID> ids(PreparedStatement ps) throws SQLException {
    List<UUID> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(rs.getObject(1, UUID.class));
      }
    }
    return out;
  }
}
