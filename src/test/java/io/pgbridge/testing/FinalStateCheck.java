package io.pgbridge.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgbridge.testing.SessionWriter.Row;
import io.pgbridge.testing.TopicReader.Received;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The promise of DESIGN.md, checked: for every session, the last record on the topic equals
 * the database row (envelope version and state), and every deleted session ends on a
 * tombstone.
 */
public final class FinalStateCheck {

  private FinalStateCheck() {}

  /** Mismatches between the topic and the database; empty when the promise holds. */
  public static List<String> mismatches(TopicReader reader, Map<UUID, Row> db,
      Collection<UUID> deleted) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<UUID, Row> e : db.entrySet()) {
      Received last = reader.last(e.getKey());
      if (last == null) {
        out.add(e.getKey() + ": no record, database has version " + e.getValue().version());
        continue;
      }
      if (last.tombstone()) {
        out.add(e.getKey() + ": last record is a tombstone but the row exists");
        continue;
      }
      JsonNode envelope = SessionWriter.parse(last.value());
      long version = envelope.get("version").asLong();
      if (version != e.getValue().version()) {
        out.add(e.getKey() + ": last record version " + version + ", database "
            + e.getValue().version());
      } else if (!envelope.get("state").equals(e.getValue().state())) {
        out.add(e.getKey() + ": state differs at version " + version);
      }
    }
    for (UUID id : deleted) {
      if (db.containsKey(id)) {
        continue;
      }
      Received last = reader.last(id);
      if (last != null && !last.tombstone()) {
        out.add(id + ": deleted, but last record is version " + last.version());
      } else if (last == null && !reader.records(id).isEmpty()) {
        out.add(id + ": deleted, no tombstone");
      }
    }
    return out;
  }

  /** Polls until the promise holds or {@code timeout} passes; returns the last mismatches. */
  public static List<String> await(TopicReader reader, Connection c, Collection<UUID> deleted,
      Duration timeout) throws SQLException {
    Map<UUID, Row> db = SessionWriter.snapshot(c);
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> problems = mismatches(reader, db, deleted);
    while (!problems.isEmpty() && System.nanoTime() < deadline) {
      reader.poll(200);
      problems = mismatches(reader, db, deleted);
    }
    return problems;
  }
}
