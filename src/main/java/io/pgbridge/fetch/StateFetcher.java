package io.pgbridge.fetch;

import io.pgbridge.config.Identifiers;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Reads the latest row of many sessions in one round trip: {@code WHERE id = ANY(?)} with a
 * {@code uuid[]} parameter, through the pool. Never one query per session. Called from worker
 * threads; stateless apart from the pool, so thread-safe.
 */
public final class StateFetcher {

  private final DataSource pool;
  private final String sql;

  public StateFetcher(DataSource pool, String schema, String table) {
    this.pool = pool;
    this.sql = "SELECT id, project_id, state_version, updated_at, raw_state::text FROM "
        + Identifiers.qualified(schema, table) + " WHERE id = ANY(?)";
  }

  /** The rows that exist among {@code ids}; a missing id means the session is gone. */
  public Map<UUID, SessionRow> fetch(Collection<UUID> ids) throws SQLException {
    Map<UUID, SessionRow> out = new HashMap<>(ids.size() * 2);
    if (ids.isEmpty()) {
      return out;
    }
    try (Connection conn = pool.getConnection();
        PreparedStatement ps = conn.prepareStatement(sql)) {
      Array array = conn.createArrayOf("uuid", ids.toArray());
      try {
        ps.setArray(1, array);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            UUID id = rs.getObject(1, UUID.class);
            Timestamp updated = rs.getTimestamp(4);
            out.put(id, new SessionRow(id, rs.getObject(2, UUID.class), rs.getLong(3),
                updated == null ? null : updated.toInstant(), rs.getBytes(5)));
          }
        }
      } finally {
        array.free();
      }
    }
    return out;
  }
}
