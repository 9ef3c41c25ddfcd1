package io.pgbridge.wal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.pgbridge.Bridge;
import io.pgbridge.BridgeState.Role;
import io.pgbridge.source.SourceMode;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FaultWorkload;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A whole bridge in {@code source.mode=wal} on a database migrated for it, against real
 * PostgreSQL and Kafka: changes of the four tables, deletions and a session id change end on
 * the database's state, and the slot does not retain WAL that only other tables wrote.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WalBridgeIT {

  @Test
  void writesOnAllFourTablesDeletesAndAnIdChangeEndOnTheDatabasesState() throws Exception {
    BridgeHarness h = BridgeHarness.create("wal_bridge_final", 2, SourceMode.WAL);
    Bridge bridge = h.startBridge(Map.of());
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      awaitStreaming(bridge);
      assertThat(lsn(c, "SELECT count(*)::text FROM pg_trigger WHERE tgname = 'pgbridge_notify'"))
          .as("no NOTIFY trigger: every change below travels through the slot").isEqualTo("0");
      assertThat(bridge.status().get("source")).isInstanceOfSatisfying(Map.class,
          s -> assertThat(s.get("mode")).isEqualTo("wal"));
      UUID kept = UUID.randomUUID();
      UUID withTodo = UUID.randomUUID();
      UUID withToolCall = UUID.randomUUID();
      UUID withNote = UUID.randomUUID();
      UUID deleted = UUID.randomUUID();
      UUID renamedFrom = UUID.randomUUID();
      UUID renamedTo = UUID.randomUUID();
      for (UUID id : List.of(kept, withTodo, withToolCall, withNote, deleted, renamedFrom)) {
        SessionWriter.insert(c, id, UUID.randomUUID(), "{\"n\":0}");
      }
      SessionWriter.updateState(c, kept, "{\"n\":1}");
      SessionWriter.updateState(c, kept, "{\"n\":2}");
      SessionWriter.insertTodo(c, withTodo, "write the plan");
      sql(c, "UPDATE generation_todos SET status = 'done' WHERE session_id = ?", withTodo);
      sql(c, "INSERT INTO generation_tool_calls (session_id, tool_name) VALUES (?, 'grep')",
          withToolCall);
      sql(c, "DELETE FROM generation_tool_calls WHERE session_id = ?", withToolCall);
      sql(c, "INSERT INTO generation_notes (session_id, body) VALUES (?, 'hello')", withNote);
      SessionWriter.updateState(c, withNote, "{\"n\":1,\"note\":true}");
      SessionWriter.delete(c, deleted);
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE generation_sessions SET id = ?, raw_state = '{\"renamed\":true}' WHERE id = ?")) {
        ps.setObject(1, renamedTo);
        ps.setObject(2, renamedFrom);
        assertThat(ps.executeUpdate()).isEqualTo(1);
      }

      assertThat(FinalStateCheck.await(reader, c, Set.of(deleted, renamedFrom),
          Duration.ofSeconds(60))).isEmpty();
      // the final-state check accepts a deleted session that has no record at all: wait for
      // the tombstones themselves
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while ((reader.last(deleted) == null || reader.last(renamedFrom) == null)
          && System.nanoTime() < deadline) {
        reader.poll(200);
      }
      assertThat(reader.last(deleted)).as("the deleted session").isNotNull()
          .matches(TopicReader.Received::tombstone);
      assertThat(reader.last(renamedFrom)).as("the old id of a session whose id changed")
          .isNotNull().matches(TopicReader.Received::tombstone);
      assertThat(reader.last(renamedTo)).isNotNull();
      for (String table : List.of("generation_todos", "generation_tool_calls",
          "generation_notes")) {
        assertThat(decoded(bridge, table)).as("row changes decoded from %s", table)
            .isPositive();
      }
      assertThat(bridge.failure()).isNull();
    } finally {
      bridge.stop();
      h.dropSlot();
    }
  }

  @Test
  void theSlotsConfirmedPositionAdvancesWhenOnlyAnUnrelatedTableIsWritten() throws Exception {
    BridgeHarness h = BridgeHarness.create("wal_bridge_unrelated", 1, SourceMode.WAL);
    try (Connection c = h.connect(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE unrelated (id bigserial PRIMARY KEY, payload text)");
    }
    Bridge bridge = h.startBridge(Map.of("wal.status.interval.ms", "200"));
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      awaitStreaming(bridge);
      UUID id = UUID.randomUUID();
      SessionWriter.insert(c, id, UUID.randomUUID(), "{\"n\":1}");
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(30))).isEmpty();

      String before = confirmed(c, h.slotName());
      for (int i = 0; i < 200; i++) {
        sql(c, "INSERT INTO unrelated (payload) VALUES (repeat('x', 500) || ?)", i);
      }
      String written = lsn(c, "SELECT pg_current_wal_lsn()::text");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!atLeast(c, confirmed(c, h.slotName()), written)
          && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      String after = confirmed(c, h.slotName());
      assertThat(atLeast(c, after, written))
          .as("confirmed_flush_lsn %s (was %s) at or past %s", after, before, written).isTrue();
      assertThat(bridge.failure()).isNull();
    } finally {
      bridge.stop();
      h.dropSlot();
    }
  }

  @Test
  void aStandbyWaitsOnTheLeaseAndTakesTheSlotOverWhenTheLeaderStops() throws Exception {
    BridgeHarness h = BridgeHarness.create("wal_bridge_handover", 2, SourceMode.WAL);
    Map<String, String> ha = Map.of("bridge.id", "wal-handover", "ha.retry.ms", "20",
        "ha.takeover.settle.ms", "0", "debounce.ms", "20", "shutdown.timeout.ms", "10000");
    List<UUID> hot;
    try (Connection c = h.connect()) {
      hot = FaultWorkload.insertSessions(c, 30);
    }
    Bridge leader = h.startBridge(ha);
    Bridge standby = null;
    try (TopicReader reader = h.reader()) {
      awaitStreaming(leader);
      standby = h.startBridge(ha);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (standby.state().role() != Role.STANDBY) {
        assertThat(System.nanoTime()).as("second bridge waits as standby").isLessThan(deadline);
        Thread.sleep(20);
      }
      try (FaultWorkload writes = new FaultWorkload(h::connect, hot, 11, 500).start()) {
        Thread.sleep(500);
        leader.stop();
        awaitStreaming(standby);
        long progress = writes.rowChanges();
        while (writes.rowChanges() < progress + 50) {
          Thread.sleep(10);
        }
        writes.pause();
        try (Connection c = h.connect()) {
          assertThat(FinalStateCheck.await(reader, c, writes.deleted(), Duration.ofSeconds(60)))
              .isEmpty();
        }
        writes.stop();
      }
      assertThat(standby.failure()).isNull();
      assertThat(leader.failure()).isNull();
    } finally {
      if (standby != null) {
        standby.stop();
      }
      leader.stop();
      h.dropSlot();
    }
  }

  @Test
  void heartbeatsNameTheWalSourceAndTheConfirmedLsn() throws Exception {
    BridgeHarness h = BridgeHarness.create("wal_bridge_heartbeat", 1, SourceMode.WAL);
    Bridge bridge = h.startBridge(Map.of("heartbeat.interval.ms", "200"));
    try (Connection c = h.connect();
        TopicReader beats = new TopicReader(h.bootstrap(), h.heartbeatTopic())) {
      awaitStreaming(bridge);
      SessionWriter.insert(c, UUID.randomUUID(), UUID.randomUUID(), "{\"n\":1}");
      assertThat(beats.pollUntil(r -> r.all().stream().anyMatch(b -> positioned(b.value())),
          Duration.ofSeconds(60))).as("a heartbeat with a position").isTrue();
      JsonNode beat = beats.all().stream().map(b -> SessionWriter.parse(b.value()))
          .filter(b -> !b.get("position").isNull()).reduce((a, b) -> b).orElseThrow();
      assertThat(beat.get("source").asText()).isEqualTo("wal");
      assertThat(beat.get("position").asText()).matches("[0-9A-F]+/[0-9A-F]+");
      assertThat(atLeast(c, lsn(c, "SELECT pg_current_wal_lsn()::text"),
          beat.get("position").asText())).as("an LSN of this server").isTrue();
      assertThat(beat.get("publishedUpTo").isNull()).isFalse();
    } finally {
      bridge.stop();
      h.dropSlot();
    }
  }

  private static boolean positioned(String heartbeat) {
    JsonNode b = SessionWriter.parse(heartbeat);
    return "wal".equals(b.path("source").asText()) && !b.path("position").isNull()
        && !b.path("position").isMissingNode();
  }

  private static void awaitStreaming(Bridge bridge) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!(bridge.state().leader() && bridge.state().caughtUp())) {
      assertThat(bridge.failure()).isNull();
      assertThat(System.nanoTime()).as("bridge streaming within 60 s").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private static double decoded(Bridge bridge, String table) {
    return bridge.metrics().registry().find("pgbridge.wal.changes").tag("table", table)
        .counters().stream().mapToDouble(Counter::count).sum();
  }

  private static void sql(Connection c, String statement, Object parameter)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(statement)) {
      ps.setObject(1, parameter);
      ps.executeUpdate();
    }
  }

  private static String confirmed(Connection c, String slot) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT confirmed_flush_lsn::text"
        + " FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).as("slot %s exists", slot).isTrue();
        return rs.getString(1);
      }
    }
  }

  private static String lsn(Connection c, String query) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static boolean atLeast(Connection c, String lsn, String than) throws SQLException {
    if (lsn == null) {
      return false;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT ?::pg_lsn >= ?::pg_lsn")) {
      ps.setString(1, lsn);
      ps.setString(2, than);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }
}
