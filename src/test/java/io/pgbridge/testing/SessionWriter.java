package io.pgbridge.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Writes sessions the way the generation platform does, and reads back what the database
 * holds so tests can compare the topic's last record with it.
 */
public final class SessionWriter {

  private static final ObjectMapper JSON = new ObjectMapper();

  private SessionWriter() {}

  public static void insert(Connection c, UUID id, UUID project, String state) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO generation_sessions"
        + " (id, project_id, raw_state) VALUES (?, ?, ?::jsonb)")) {
      ps.setObject(1, id);
      ps.setObject(2, project);
      ps.setString(3, state);
      ps.executeUpdate();
    }
  }

  public static void updateState(Connection c, UUID id, String state) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE generation_sessions"
        + " SET raw_state = ?::jsonb, updated_at = now() WHERE id = ?")) {
      ps.setString(1, state);
      ps.setObject(2, id);
      ps.executeUpdate();
    }
  }

  public static void delete(Connection c, UUID id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM generation_sessions WHERE id = ?")) {
      ps.setObject(1, id);
      ps.executeUpdate();
    }
  }

  public static void insertTodo(Connection c, UUID session, String content) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO generation_todos (session_id, content) VALUES (?, ?)")) {
      ps.setObject(1, session);
      ps.setString(2, content);
      ps.executeUpdate();
    }
  }

  /** The session's current {@code state_version}; fails when the row does not exist. */
  public static long version(Connection c, UUID id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT state_version FROM generation_sessions WHERE id = ?")) {
      ps.setObject(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalStateException("no session " + id);
        }
        return rs.getLong(1);
      }
    }
  }

  /** Database row: version and state as JSON, for every session. */
  public record Row(long version, JsonNode state) {}

  public static Map<UUID, Row> snapshot(Connection c) throws SQLException {
    Map<UUID, Row> out = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT id, state_version, raw_state::text FROM generation_sessions");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.put(rs.getObject(1, UUID.class), new Row(rs.getLong(2), parse(rs.getString(3))));
      }
    }
    return out;
  }

  public static JsonNode parse(String json) {
    try {
      return json == null ? null : JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }
}
