package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.Bridge;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TestInfra;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The deletion log is pruned only once nobody needs an entry: not the settle pass of a leader
 * that has just taken the lock (it re-sends the deletions since its takeover checkpoint), not
 * another bridge.id that has published but not yet stored its first checkpoint.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DeletionLogRetentionIT {

  @Test
  void deletionsSinceATakeoverAreKeptUntilItsSettlePassHasPublished() throws Exception {
    BridgeHarness h = BridgeHarness.create("retention_settle", 1);
    // every acquisition of the lock schedules a settle pass, the first one too
    Bridge bridge = h.startBridge(Map.of("ha.takeover.settle.ms", "4000",
        "kafka.delivery.timeout.ms", "3000", "kafka.request.timeout.ms", "2000"));
    UUID id = UUID.randomUUID();
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      IsolationAndRecoveryIT.awaitConnected(bridge);
      SessionWriter.insert(c, id, UUID.randomUUID(), "{\"n\":1}");
      SessionWriter.delete(c, id);
      assertThat(reader.pollUntil(r -> r.last(id) != null && r.last(id).tombstone(),
          Duration.ofSeconds(20))).isTrue();
      double stored = bridge.metrics().checkpoints().count();
      while (bridge.metrics().checkpoints().count() < stored + 3) {
        Thread.sleep(20);
      }
      assertThat(bridge.state().settlePending()).isTrue();
      assertThat(logged(c, id)).as("kept for the settle pass").isPositive();

      // the settle pass re-sends the tombstone; afterwards the entry may go
      int before = reader.records(id).size();
      assertThat(reader.pollUntil(r -> r.records(id).size() > before, Duration.ofSeconds(20)))
          .as("settle pass re-sent the tombstone").isTrue();
      assertThat(reader.last(id).tombstone()).isTrue();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (logged(c, id) > 0 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(logged(c, id)).as("pruned once the settle pass has published").isZero();
      assertThat(bridge.state().settlePending()).isFalse();
    } finally {
      bridge.stop();
    }
  }

  @Test
  void anotherBridgeIdsCheckpointsDoNotPruneTombstonesABridgeWithoutCheckpointStillOwes()
      throws Exception {
    BridgeHarness h = BridgeHarness.create("retention_two_ids", 1);
    String otherTopic = TestInfra.newTopic("retention-two-ids-b", 1);
    Map<String, String> second = new HashMap<>(Map.of("bridge.id", "second",
        "topic", otherTopic, "checkpoint.interval.ms", "3600000"));
    UUID kept = UUID.randomUUID();
    UUID deleted = UUID.randomUUID();
    try (Connection c = h.connect(); TopicReader reader = new TopicReader(h.bootstrap(),
        otherTopic)) {
      SessionWriter.insert(c, kept, UUID.randomUUID(), "{\"k\":1}");
      SessionWriter.insert(c, deleted, UUID.randomUUID(), "{\"d\":1}");
      Bridge b = h.startBridge(second);
      assertThat(reader.pollUntil(r -> r.last(kept) != null && r.last(deleted) != null,
          Duration.ofSeconds(20))).isTrue();
      b.fail(new IllegalStateException("crash before its first checkpoint"));
      assertThat(b.awaitTermination(30, TimeUnit.SECONDS)).isTrue();

      Bridge first = h.startBridge(Map.of("bridge.id", "first"));
      try {
        SessionWriter.delete(c, deleted);
        double stored = first.metrics().checkpoints().count();
        while (first.metrics().checkpoints().count() < stored + 3) {
          Thread.sleep(20);
        }
        assertThat(logged(c, deleted)).as("kept for bridge.id 'second'").isPositive();
      } finally {
        first.stop();
      }

      Bridge again = h.startBridge(second);
      try {
        assertThat(reader.pollUntil(r -> r.last(deleted).tombstone(), Duration.ofSeconds(20)))
            .as("tombstone owed by 'second'").isTrue();
      } finally {
        again.stop();
      }
    }
  }

  private static long logged(Connection c, UUID id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM"
        + " pgbridge_deleted_sessions WHERE session_id = ?")) {
      ps.setObject(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
