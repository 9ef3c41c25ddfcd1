package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.Bridge;
import io.pgbridge.BridgeState.Role;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The database's recorded source mode ({@code pgbridge_source_mode}) rules: a bridge of another
 * mode does not start, and one that was running when the database switched keeps publishing
 * but stores no checkpoint past writes it may never have seen.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SourceModeGuardIT {

  @Test
  void aNotifyBridgeRefusesADatabaseRecordedForWalAndNamesTheCommand() throws Exception {
    BridgeHarness h = BridgeHarness.create("mode_guard_start", 1);
    try (Connection c = h.connect()) {
      recordMode(c, "wal");
    }
    Bridge bridge = h.startBridge(Map.of());
    try {
      assertThat(bridge.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
      assertThat(bridge.state().role()).isEqualTo(Role.FAILED);
      assertThat(bridge.failure()).hasMessageContaining("pgbridge migrate --source-mode notify")
          .hasMessageContaining("records source.mode=wal");
      assertThat(bridge.state().lastError()).contains("pgbridge migrate --source-mode notify");
    } finally {
      bridge.stop();
    }
  }

  @Test
  void checkpointsStopOnceTheDatabaseRecordsAnotherModeWhilePublishingGoesOn() throws Exception {
    BridgeHarness h = BridgeHarness.create("mode_guard_store", 1);
    Bridge bridge = h.startBridge(Map.of());
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      IsolationAndRecoveryIT.awaitConnected(bridge);
      double stored = bridge.metrics().checkpoints().count();
      while (bridge.metrics().checkpoints().count() < stored + 2) {
        Thread.sleep(20);
      }
      recordMode(c, "wal");
      String before = storedSnapshot(c);
      UUID id = UUID.randomUUID();
      SessionWriter.insert(c, id, UUID.randomUUID(), "{\"n\":1}");
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(30))).isEmpty();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (mismatches(bridge) < 3 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(mismatches(bridge)).as("refused rounds").isGreaterThanOrEqualTo(3);
      assertThat(storedSnapshot(c)).as("nothing stored since the switch").isEqualTo(before);
      assertThat(bridge.failure()).isNull();
      assertThat(bridge.state().lastError()).contains("checkpoint not stored");
    } finally {
      bridge.stop();
    }
  }

  private static double mismatches(Bridge bridge) {
    var counter = bridge.metrics().registry().find("pgbridge.errors")
        .tag("kind", "mode_mismatch").counter();
    return counter == null ? 0 : counter.count();
  }

  /** What {@code pgbridge migrate --source-mode} records, written by hand. */
  static void recordMode(Connection c, String mode) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS public.pgbridge_source_mode (single boolean"
          + " PRIMARY KEY DEFAULT true CHECK (single), mode text NOT NULL CHECK (mode IN"
          + " ('notify', 'wal')), publication text, changed_at timestamptz)");
      st.execute("INSERT INTO public.pgbridge_source_mode (single, mode, changed_at)"
          + " VALUES (true, '" + mode + "', now()) ON CONFLICT (single) DO UPDATE"
          + " SET mode = EXCLUDED.mode, changed_at = EXCLUDED.changed_at");
    }
  }

  private static String storedSnapshot(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT snapshot::text FROM public.pgbridge_checkpoint"
            + " WHERE bridge_id = 'pgbridge'")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }
}
