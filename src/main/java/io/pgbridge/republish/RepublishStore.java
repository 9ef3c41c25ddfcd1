package io.pgbridge.republish;

import io.pgbridge.config.Identifiers;
import io.pgbridge.republish.RepublishRequest.Scope;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The SQL of republish requests ({@code pgbridge_republish_requests}, migration V010) and of
 * the keyset pages they are walked in. Requesting ({@link #insert}) and following
 * ({@link #find}) run with the operator's role, which needs INSERT and SELECT on the table;
 * taking and advancing run with the bridge's. Every method works on the caller's connection;
 * identifiers are validated and quoted. Stateless; thread-safe.
 */
public final class RepublishStore {

  private static final String COLUMNS = "id, scope, project_id, session_ids, state, taken_by,"
      + " done_through, republished";

  private final String bridgeId;
  private final String requests;
  private final String sessions;

  public RepublishStore(String schema, String sessionsTable, String bridgeId) {
    this.bridgeId = bridgeId;
    this.requests = Identifiers.qualified(schema, "pgbridge_republish_requests");
    this.sessions = Identifiers.qualified(schema, sessionsTable);
  }

  /** Queues a request; returns its id. */
  public long insert(Connection c, Scope scope, UUID projectId, List<UUID> sessionIds)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + requests
        + " (bridge_id, scope, project_id, session_ids) VALUES (?, ?, ?, ?) RETURNING id")) {
      ps.setString(1, bridgeId);
      ps.setString(2, scope.sqlName());
      ps.setObject(3, projectId);
      ps.setArray(4, sessionIds == null || sessionIds.isEmpty() ? null
          : c.createArrayOf("uuid", sessionIds.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  public Optional<RepublishRequest> find(Connection c, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM " + requests
        + " WHERE id = ? AND bridge_id = ?")) {
      ps.setLong(1, id);
      ps.setString(2, bridgeId);
      return one(ps);
    }
  }

  /** The oldest request of this bridge that is not done (pending, or running anywhere). */
  public Optional<RepublishRequest> oldestOpen(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM " + requests
        + " WHERE bridge_id = ? AND state <> 'done' ORDER BY id LIMIT 1")) {
      ps.setString(1, bridgeId);
      return one(ps);
    }
  }

  /**
   * Takes request {@code id} for {@code instance}, also from an instance that stopped leading:
   * only the leader calls this, so whoever held it before is gone or no longer publishing.
   */
  public boolean take(Connection c, long id, String instance) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + requests
        + " SET state = 'running', taken_by = ?, taken_at = now()"
        + " WHERE id = ? AND bridge_id = ? AND state <> 'done'")) {
      ps.setString(1, instance);
      ps.setLong(2, id);
      ps.setString(3, bridgeId);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * Records that every session up to {@code doneThrough} is republished and acknowledged;
   * false when another instance has taken the request since.
   */
  public boolean advance(Connection c, long id, String instance, UUID doneThrough,
      long republished) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + requests
        + " SET done_through = ?, republished = ? WHERE id = ? AND taken_by = ?"
        + " AND state = 'running'")) {
      ps.setObject(1, doneThrough);
      ps.setLong(2, republished);
      ps.setLong(3, id);
      ps.setString(4, instance);
      return ps.executeUpdate() == 1;
    }
  }

  /** Marks the request done; false when another instance has taken it since. */
  public boolean finish(Connection c, long id, String instance, long republished)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + requests
        + " SET state = 'done', republished = ?, finished_at = now()"
        + " WHERE id = ? AND taken_by = ? AND state = 'running'")) {
      ps.setLong(1, republished);
      ps.setLong(2, id);
      ps.setString(3, instance);
      return ps.executeUpdate() == 1;
    }
  }

  /** Up to {@code limit} session ids of the request after {@code after} (null: the start). */
  public List<UUID> page(Connection c, RepublishRequest r, UUID after, int limit)
      throws SQLException {
    if (r.scope() == Scope.SESSIONS) {
      // the ids as requested, in the same order a keyset walk would give, existing or not: a
      // named session that has no row gets its tombstone
      return r.sessionIds().stream().distinct().sorted(RepublishStore::compareAsPostgres)
          .filter(id -> after == null || compareAsPostgres(id, after) > 0).limit(limit)
          .toList();
    }
    StringBuilder sql = new StringBuilder("SELECT id FROM ").append(sessions).append(" WHERE true");
    if (r.scope() == Scope.PROJECT) {
      sql.append(" AND project_id = ?");
    }
    if (after != null) {
      sql.append(" AND id > ?");
    }
    sql.append(" ORDER BY id LIMIT ?");
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      int i = 0;
      if (r.scope() == Scope.PROJECT) {
        ps.setObject(++i, r.projectId());
      }
      if (after != null) {
        ps.setObject(++i, after);
      }
      ps.setInt(++i, limit);
      List<UUID> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getObject(1, UUID.class));
        }
      }
      return out;
    }
  }

  /**
   * PostgreSQL orders uuids by their bytes, unsigned; {@link UUID#compareTo} compares signed
   * longs. The walk of named sessions must use the database's order, which the stored
   * {@code done_through} refers to.
   */
  static int compareAsPostgres(UUID a, UUID b) {
    int high = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
    return high != 0 ? high
        : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
  }

  private static Optional<RepublishRequest> one(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return Optional.empty();
      }
      Array ids = rs.getArray(4);
      List<UUID> sessionIds = ids == null ? List.of()
          : Arrays.stream((Object[]) ids.getArray()).map(o -> (UUID) o).toList();
      return Optional.of(new RepublishRequest(rs.getLong(1), Scope.of(rs.getString(2)),
          rs.getObject(3, UUID.class), sessionIds, rs.getString(5), rs.getString(6),
          rs.getObject(7, UUID.class), rs.getLong(8)));
    }
  }
}
