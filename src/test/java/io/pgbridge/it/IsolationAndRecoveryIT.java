package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.Bridge;
import io.pgbridge.BridgeState.Role;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bridges side by side in one JVM, restarts with writes while the bridge is down, a killed
 * listener connection, and leader/standby takeover.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class IsolationAndRecoveryIT {

  @Test
  void twoBridgesInOneJvmDoNotInterfere() throws Exception {
    BridgeHarness a = BridgeHarness.create("iso_a", 1);
    BridgeHarness b = BridgeHarness.create("iso_b", 1);
    Bridge bridgeA = a.startBridge(Map.of("bridge.id", "a"));
    Bridge bridgeB = b.startBridge(Map.of("bridge.id", "b", "value.format", "raw"));
    try (Connection ca = a.connect(); Connection cb = b.connect();
        TopicReader ra = a.reader(); TopicReader rb = b.reader()) {
      UUID idA = UUID.randomUUID();
      UUID idB = UUID.randomUUID();
      SessionWriter.insert(ca, idA, UUID.randomUUID(), "{\"who\":\"a\"}");
      SessionWriter.insert(cb, idB, UUID.randomUUID(), "{\"who\":\"b\"}");
      assertThat(ra.pollUntil(r -> r.last(idA) != null, Duration.ofSeconds(20))).isTrue();
      assertThat(rb.pollUntil(r -> r.last(idB) != null, Duration.ofSeconds(20))).isTrue();
      ra.drain(Duration.ofMillis(500));
      rb.drain(Duration.ofMillis(500));
      assertThat(ra.all()).extracting(TopicReader.Received::key).containsOnly(idA.toString());
      assertThat(rb.all()).extracting(TopicReader.Received::key).containsOnly(idB.toString());
      assertThat(SessionWriter.parse(ra.last(idA).value()).get("sessionId").asText())
          .isEqualTo(idA.toString());
      assertThat(rb.last(idB).value()).isEqualTo("{\"who\": \"b\"}");
      assertThat(bridgeA.metrics().published().count()).isEqualTo(1.0);
      assertThat(bridgeB.metrics().published().count()).isEqualTo(1.0);
    } finally {
      bridgeA.stop();
      bridgeB.stop();
    }
  }

  @Test
  void republishesSessionsChangedAndDeletedWhileTheBridgeWasDown() throws Exception {
    BridgeHarness h = BridgeHarness.create("recovery", 2);
    List<UUID> ids = new ArrayList<>();
    Set<UUID> deleted = new HashSet<>();
    Bridge first = h.startBridge(Map.of());
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      for (int i = 0; i < 50; i++) {
        UUID id = UUID.randomUUID();
        ids.add(id);
        SessionWriter.insert(c, id, UUID.randomUUID(), "{\"v\":0}");
      }
      assertThat(FinalStateCheck.await(reader, c, deleted, Duration.ofSeconds(30))).isEmpty();
      awaitCheckpoint(c, "pgbridge");
      first.stop();
      assertThat(first.state().role()).isEqualTo(Role.STOPPED);

      for (int i = 0; i < 20; i++) {
        SessionWriter.updateState(c, ids.get(i), "{\"v\":\"while down\"}");
      }
      for (int i = 20; i < 25; i++) {
        SessionWriter.delete(c, ids.get(i));
        deleted.add(ids.get(i));
      }
      double before = reader.all().size();
      Bridge second = h.startBridge(Map.of());
      try {
        assertThat(FinalStateCheck.await(reader, c, deleted, Duration.ofSeconds(30))).isEmpty();
        assertThat(second.metrics().catchup().count()).isGreaterThanOrEqualTo(25);
        // catch-up reads only what changed after the checkpoint, not all 50 sessions
        reader.drain(Duration.ofMillis(1000));
        assertThat(reader.all().size() - before).isLessThan(50);
      } finally {
        second.stop();
      }
    }
  }

  @Test
  void catchesUpAfterTheListenerConnectionIsKilled() throws Exception {
    BridgeHarness h = BridgeHarness.create("terminated", 2);
    Bridge bridge = h.startBridge(Map.of());
    List<UUID> ids = new ArrayList<>();
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      for (int i = 0; i < 20; i++) {
        UUID id = UUID.randomUUID();
        ids.add(id);
        SessionWriter.insert(c, id, UUID.randomUUID(), "{\"round\":0}");
      }
      for (int round = 1; round <= 3; round++) {
        awaitConnected(bridge);
        try (Statement st = c.createStatement()) {
          st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
              + " WHERE application_name LIKE 'pgbridge-listener-%'"
              + " AND datname = current_database()");
        }
        for (UUID id : ids) {
          SessionWriter.updateState(c, id, "{\"round\":" + round + "}");
        }
      }
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(30))).isEmpty();
      assertThat(bridge.metrics().reconnects().count()).isGreaterThanOrEqualTo(1);
    } finally {
      bridge.stop();
    }
  }

  @Test
  void standbyTakesOverWhenTheLeaderDiesAndEveryFinalStateArrives() throws Exception {
    BridgeHarness h = BridgeHarness.create("failover", 2);
    Map<String, String> ha = Map.of("bridge.id", "ha", "ha.takeover.settle.ms", "1000",
        "kafka.delivery.timeout.ms", "900", "kafka.request.timeout.ms", "800");
    Bridge leader = h.startBridge(ha);
    awaitRole(leader, Role.LEADER);
    Bridge standby = h.startBridge(ha);
    awaitRole(standby, Role.STANDBY);
    List<UUID> ids = new ArrayList<>();
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      for (int i = 0; i < 30; i++) {
        UUID id = UUID.randomUUID();
        ids.add(id);
        SessionWriter.insert(c, id, UUID.randomUUID(), "{\"phase\":\"one\"}");
      }
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(30))).isEmpty();
      assertThat(standby.metrics().published().count()).isZero();
      leader.fail(new IllegalStateException("simulated crash of the leader"));
      for (UUID id : ids) {
        SessionWriter.updateState(c, id, "{\"phase\":\"two\"}");
      }
      long t0 = System.nanoTime();
      awaitRole(standby, Role.LEADER);
      long takeoverMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(30))).isEmpty();
      assertThat(takeoverMillis).isLessThan(10_000);
      // the settle pass republishes what the takeover covered, so no late record of the old
      // leader can stay last; the final state still holds afterwards
      assertThat(reader.pollUntil(r -> ids.stream().allMatch(id -> r.records(id).stream()
          .anyMatch(rec -> rec.headers().get("pgbridge.sources").contains("republish"))),
          Duration.ofSeconds(30))).isTrue();
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(5))).isEmpty();
    } finally {
      leader.stop();
      standby.stop();
    }
  }

  static void awaitRole(Bridge bridge, Role role) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (bridge.state().role() != role && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(bridge.state().role()).isEqualTo(role);
  }

  static void awaitConnected(Bridge bridge) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!(bridge.state().connected() && bridge.state().caughtUp())
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(bridge.state().caughtUp()).isTrue();
  }

  static void awaitCheckpoint(Connection c, String bridgeId) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT count(*) FROM pgbridge_checkpoint WHERE bridge_id = ?")) {
        ps.setString(1, bridgeId);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getInt(1) == 1) {
            return;
          }
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no checkpoint stored for " + bridgeId);
  }
}
