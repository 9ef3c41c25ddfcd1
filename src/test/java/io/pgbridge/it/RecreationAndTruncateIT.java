package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.Bridge;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Sessions that disappear in ways a row-by-row view misses: deleted and re-created with the
 * same id, truncated, or deleted before any checkpoint was stored.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RecreationAndTruncateIT {

  @Test
  void aSessionDeletedAndRecreatedWithTheSameIdContinuesItsVersions() throws Exception {
    BridgeHarness h = BridgeHarness.create("recreate", 1);
    Bridge bridge = h.startBridge(Map.of());
    UUID id = UUID.randomUUID();
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      SessionWriter.insert(c, id, UUID.randomUUID(), "{\"life\":1}");
      SessionWriter.updateState(c, id, "{\"life\":1,\"step\":2}");
      long old = SessionWriter.version(c, id);
      assertThat(reader.pollUntil(r -> r.last(id) != null && r.last(id).version() == old,
          Duration.ofSeconds(20))).isTrue();
      c.setAutoCommit(false);
      SessionWriter.delete(c, id);
      SessionWriter.insert(c, id, UUID.randomUUID(), "{\"life\":2}");
      c.commit();
      c.setAutoCommit(true);
      // the new life is newer than anything published for the old one
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(20))).isEmpty();
      assertThat(reader.last(id).version()).isGreaterThan(old)
          .isEqualTo(SessionWriter.version(c, id));
      assertThat(SessionWriter.parse(reader.last(id).value()).get("state").get("life").asInt())
          .isEqualTo(2);
    } finally {
      bridge.stop();
    }
  }

  @Test
  void truncateSendsATombstoneForEverySession() throws Exception {
    BridgeHarness h = BridgeHarness.create("truncate", 1);
    Bridge bridge = h.startBridge(Map.of());
    List<UUID> ids = new ArrayList<>();
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      for (int i = 0; i < 5; i++) {
        UUID id = UUID.randomUUID();
        ids.add(id);
        SessionWriter.insert(c, id, UUID.randomUUID(), "{\"i\":" + i + "}");
        SessionWriter.insertTodo(c, id, "todo");
      }
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(20))).isEmpty();
      try (Statement st = c.createStatement()) {
        st.execute("TRUNCATE generation_sessions CASCADE");
      }
      assertThat(reader.pollUntil(r -> ids.stream().allMatch(id -> r.last(id).tombstone()),
          Duration.ofSeconds(20))).isTrue();
    } finally {
      bridge.stop();
    }
  }

  @Test
  void aFirstStartWithoutCheckpointStillOwesTombstonesForSessionsDeletedWhileDown()
      throws Exception {
    BridgeHarness h = BridgeHarness.create("first_start_deleted", 1);
    Map<String, String> noCheckpoints = Map.of("checkpoint.interval.ms", "3600000");
    UUID kept = UUID.randomUUID();
    UUID deleted = UUID.randomUUID();
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      SessionWriter.insert(c, kept, UUID.randomUUID(), "{\"k\":1}");
      SessionWriter.insert(c, deleted, UUID.randomUUID(), "{\"d\":1}");
      Bridge first = h.startBridge(noCheckpoints);
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(20))).isEmpty();
      first.fail(new IllegalStateException("crash before any checkpoint"));
      assertThat(first.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
      SessionWriter.delete(c, deleted);

      Bridge second = h.startBridge(noCheckpoints);
      try {
        assertThat(reader.pollUntil(r -> r.last(deleted).tombstone(), Duration.ofSeconds(20)))
            .as("tombstone owed from the deletion log").isTrue();
        assertThat(FinalStateCheck.await(reader, c, Set.of(deleted), Duration.ofSeconds(20)))
            .isEmpty();
      } finally {
        second.stop();
      }
    }
  }

  @Test
  void catchupInitialNonePublishesOnlyWhatChangesAfterTheStart() throws Exception {
    BridgeHarness h = BridgeHarness.create("initial_none", 1);
    UUID before = UUID.randomUUID();
    UUID after = UUID.randomUUID();
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      SessionWriter.insert(c, before, UUID.randomUUID(), "{\"old\":true}");
      Bridge bridge = h.startBridge(Map.of("catchup.initial", "none"));
      try {
        IsolationAndRecoveryIT.awaitConnected(bridge);
        SessionWriter.insert(c, after, UUID.randomUUID(), "{\"new\":true}");
        assertThat(reader.pollUntil(r -> r.last(after) != null, Duration.ofSeconds(20)))
            .isTrue();
        reader.drain(Duration.ofMillis(500));
        assertThat(reader.records(before)).isEmpty();
      } finally {
        bridge.stop();
      }
    }
  }
}
