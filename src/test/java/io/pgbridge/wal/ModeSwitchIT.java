package io.pgbridge.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.Bridge;
import io.pgbridge.config.BridgeConfig;
import io.pgbridge.migrate.Migrator;
import io.pgbridge.source.SourceMode;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FaultWorkload;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
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
 * The switching procedure of the README, end to end and both ways, with a writer that never
 * stops: a NOTIFY bridge publishes; it stops; {@code migrate --source-mode wal}; a WAL bridge
 * starts, creates its slot and catches up what was written since the NOTIFY bridge's last
 * checkpoint; it stops; {@code migrate --source-mode notify} drops the slot; a NOTIFY bridge
 * starts and catches up what was written meanwhile. After each step the topic's last record
 * of every session equals the database, and the writer made progress in every phase.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ModeSwitchIT {

  private static final int SESSIONS = 200;

  @Test
  void notifyToWalAndBackUnderConstantWritesLosesNothing() throws Exception {
    BridgeHarness h = BridgeHarness.create("mode_switch", 2, SourceMode.WAL);
    Map<String, String> notify = Map.of(BridgeConfig.SOURCE_MODE_CONFIG, "notify");
    Map<String, String> wal = Map.of(BridgeConfig.SOURCE_MODE_CONFIG, "wal");
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      migrate(c, SourceMode.NOTIFY);
      List<UUID> ids = FaultWorkload.insertSessions(c, SESSIONS);
      try (FaultWorkload writer = new FaultWorkload(h::connect, ids.subList(0, 80), 5L, 2_000)
          .start()) {
        // notify
        runPhase(h, c, reader, writer, notify, "notify", ids.subList(80, 100));
        // switch to wal while the writer goes on: writes between the notify bridge's last
        // checkpoint and the slot's creation are caught up by the WAL bridge
        migrate(c, SourceMode.WAL);
        assertThat(count(c, "SELECT count(*) FROM pg_trigger WHERE tgname = 'pgbridge_notify'"))
            .as("no NOTIFY trigger in wal mode").isZero();
        runPhase(h, c, reader, writer, wal, "wal", ids.subList(100, 120));
        assertThat(count(c, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '"
            + h.slotName() + "'")).as("the WAL bridge's slot").isEqualTo(1);
        // and back: migrate drops the (inactive) slot so that it retains no WAL
        migrate(c, SourceMode.NOTIFY);
        assertThat(count(c, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '"
            + h.slotName() + "'")).as("slot dropped by the switch to notify").isZero();
        runPhase(h, c, reader, writer, notify, "notify again", ids.subList(120, 140));
        writer.stop();
        Bridge last = h.startBridge(notify);
        try {
          assertThat(FinalStateCheck.await(reader, c, writer.deleted(), Duration.ofSeconds(60)))
              .as("final state after the last phase").isEmpty();
          assertThat(last.failure()).isNull();
        } finally {
          last.stop();
        }
      }
    } finally {
      h.dropSlot();
    }
  }

  /**
   * Starts a bridge with {@code overrides}, lets the writer commit under it, checks the final
   * state of everything written before the pause, and stops the bridge with the writer going.
   */
  private static void runPhase(BridgeHarness h, Connection c, TopicReader reader,
      FaultWorkload writer, Map<String, String> overrides, String phase, List<UUID> gap)
      throws Exception {
    // sessions the hot writer never touches, changed while no bridge runs: only the new
    // bridge's catch-up from the last checkpoint can publish these versions
    for (UUID id : gap) {
      SessionWriter.updateState(c, id, "{\"phase\":\"" + phase + "\"}");
    }
    long before = writer.commits();
    Bridge bridge = h.startBridge(overrides);
    try {
      Thread.sleep(2_000);
      writer.pause();
      assertThat(writer.commits()).as("writer progressed in phase %s", phase)
          .isGreaterThan(before + 50);
      assertThat(FinalStateCheck.await(reader, c, writer.deleted(), Duration.ofSeconds(60)))
          .as("final state in phase %s", phase).isEmpty();
      assertThat(bridge.failure()).as("bridge failure in phase %s", phase).isNull();
      for (UUID id : gap) {
        assertThat(reader.last(id).value()).as("gap session %s in phase %s", id, phase)
            .isNotNull();
        assertThat(SessionWriter.parse(reader.last(id).value()).get("state").get("phase")
            .asText()).as("the version written before phase %s", phase).isEqualTo(phase);
      }
      writer.resume();
      Thread.sleep(300);
    } finally {
      bridge.stop();
    }
    // the writer goes on while no bridge runs: the next phase must catch that up
    Thread.sleep(500);
  }

  private static void migrate(Connection c, SourceMode mode) throws SQLException {
    new Migrator("public", "generation_sessions", "generation_updates", mode, "pgbridge")
        .migrate(c, false);
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
