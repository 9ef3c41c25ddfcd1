package io.pgbridge.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The demo's proof of the bridge's main promise: for every session, the last record a consumer
 * saw for its key equals the database's row (same {@code state_version}, same state JSON), and
 * a deleted session ends on a tombstone. Compares what {@link StateConsumer} kept against one
 * read of {@code generation_sessions} after the bridge drained. Runs once, on the caller's
 * thread.
 */
final class FinalStateCheck {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The outcome: how many sessions were compared and a description of each mismatch. */
  record Result(int sessions, int deleted, List<String> mismatches) {
    boolean passed() {
      return mismatches.isEmpty();
    }
  }

  private record Row(long version, JsonNode state) {}

  private FinalStateCheck() {}

  static Result run(DataSource pool, Map<UUID, Boolean> sessions,
      Map<UUID, StateConsumer.Seen> last) throws SQLException {
    Map<UUID, Row> rows = new HashMap<>();
    try (Connection c = pool.getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(
            "SELECT id, state_version, raw_state::text FROM generation_sessions")) {
      while (rs.next()) {
        rows.put(rs.getObject(1, UUID.class), new Row(rs.getLong(2), parse(rs.getString(3))));
      }
    }
    List<String> mismatches = new ArrayList<>();
    int deleted = 0;
    for (Map.Entry<UUID, Boolean> e : sessions.entrySet()) {
      UUID id = e.getKey();
      Row row = rows.remove(id);
      StateConsumer.Seen seen = last.get(id);
      if (row == null) {
        deleted++;
        if (!e.getValue()) {
          mismatches.add(id + ": the demo never deleted it, yet it has no row");
        } else if (seen == null || !seen.tombstone()) {
          mismatches.add(id + ": deleted in the database, but the last record is "
              + describe(seen));
        }
        continue;
      }
      if (seen == null || seen.tombstone() || seen.version() != row.version()
          || !row.state().equals(seen.state())) {
        mismatches.add(id + ": database has version " + row.version() + ", last record is "
            + describe(seen) + (seen != null && !seen.tombstone()
                && seen.version() == row.version() ? " with a different state" : ""));
      }
    }
    for (UUID stray : rows.keySet()) {
      mismatches.add(stray + ": a row the demo did not write");
    }
    return new Result(sessions.size(), deleted, mismatches);
  }

  private static String describe(StateConsumer.Seen seen) {
    if (seen == null) {
      return "missing (no record for the key)";
    }
    String what = seen.tombstone() ? "a tombstone" : "version " + seen.version();
    return what + " (versions seen, oldest first, -1 = tombstone: " + seen.history() + ")";
  }

  private static JsonNode parse(String json) {
    if (json == null) {
      return JSON.nullNode();
    }
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalStateException("raw_state is not JSON: " + json, e);
    }
  }
}
