package io.pgbridge.fetch;

import io.pgbridge.config.Identifiers;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Reads the latest row of many sessions in one round trip through the pool: the ids and the
 * versions already published for them go in as two arrays ({@code unnest(uuid[], int8[])}),
 * and a row whose version is not newer comes back without its {@code raw_state}, so an
 * unchanged state (typically after a child-row notification) costs neither its transfer nor
 * its decoding. Never one query per session. Called from worker threads; stateless apart from
 * the pool, so thread-safe.
 */
public final class StateFetcher {

  private final DataSource pool;
  private final String sql;

  public StateFetcher(DataSource pool, String schema, String table) {
    this.pool = pool;
    this.sql = "SELECT s.id, s.project_id, s.state_version, s.updated_at,"
        + " CASE WHEN k.known IS NULL OR s.state_version > k.known THEN s.raw_state::text END"
        + " FROM unnest(?::uuid[], ?::int8[]) AS k(id, known)"
        + " JOIN " + Identifiers.qualified(schema, table) + " s ON s.id = k.id";
  }

  /**
   * The rows that exist among {@code ids}; a missing id means the session is gone.
   * {@code known[i]} is the version already published for {@code ids.get(i)} (null: unknown);
   * a row at or below it has a null {@code rawState} and must not be published.
   */
  public Map<UUID, SessionRow> fetch(List<UUID> ids, Long[] known) throws SQLException {
    Map<UUID, SessionRow> out = new HashMap<>(ids.size() * 2);
    if (ids.isEmpty()) {
      return out;
    }
    Map<UUID, Long> knownById = new HashMap<>(ids.size() * 2);
    for (int i = 0; i < ids.size(); i++) {
      if (known[i] != null) {
        knownById.put(ids.get(i), known[i]);
      }
    }
    try (Connection conn = pool.getConnection();
        PreparedStatement ps = conn.prepareStatement(sql)) {
      Array idArray = conn.createArrayOf("uuid", ids.toArray());
      Array knownArray = conn.createArrayOf("int8", known);
      try {
        ps.setArray(1, idArray);
        ps.setArray(2, knownArray);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            UUID id = rs.getObject(1, UUID.class);
            Timestamp updated = rs.getTimestamp(4);
            long version = rs.getLong(3);
            Long knownVersion = knownById.get(id);
            out.put(id, new SessionRow(id, rs.getObject(2, UUID.class), version,
                updated == null ? null : updated.toInstant(), rs.getBytes(5),
                knownVersion != null && version <= knownVersion));
          }
        }
      } finally {
        idArray.free();
        knownArray.free();
      }
    }
    return out;
  }
}
