package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgbridge.Bridge;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TopicReader;
import io.pgbridge.testing.TopicReader.Received;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The core pipeline against a real PostgreSQL and a real Kafka broker. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BridgeIT {

  private static BridgeHarness harness;
  private static Bridge bridge;

  @BeforeAll
  static void start() throws Exception {
    harness = BridgeHarness.create("bridge_it", 3);
    bridge = harness.startBridge(Map.of("debounce.ms", "100", "debounce.max.ms", "1000"));
    // a session written while the first start's catch-up walks the table may be published by
    // the walk alone, and the header test expects a notified change
    IsolationAndRecoveryIT.awaitConnected(bridge);
  }

  @AfterAll
  static void stop() {
    if (bridge != null) {
      bridge.stop();
    }
  }

  @Test
  void oneUpdateArrivesWithKeyValueAndHeaders() throws Exception {
    UUID id = UUID.randomUUID();
    UUID project = UUID.randomUUID();
    try (Connection c = harness.connect(); TopicReader reader = harness.reader()) {
      SessionWriter.insert(c, id, project, "{\"status\":\"running\",\"todos\":[]}");
      long inserted = SessionWriter.version(c, id);
      SessionWriter.updateState(c, id, "{\"status\":\"running\",\"todos\":[{\"t\":\"plan\"}]}");
      long version = SessionWriter.version(c, id);
      assertThat(version).as("an update adds one").isEqualTo(inserted + 1);
      assertThat(reader.pollUntil(r -> r.last(id) != null && r.last(id).version() == version,
          Duration.ofSeconds(20))).isTrue();
      Received last = reader.last(id);
      assertThat(last.key()).isEqualTo(id.toString());
      JsonNode value = SessionWriter.parse(last.value());
      assertThat(value.get("sessionId").asText()).isEqualTo(id.toString());
      assertThat(value.get("projectId").asText()).isEqualTo(project.toString());
      assertThat(value.get("version").asLong()).isEqualTo(version);
      assertThat(value.get("updatedAt").asText()).endsWith("Z");
      assertThat(value.get("state").isObject()).isTrue();
      assertThat(value.get("state").get("todos").get(0).get("t").asText()).isEqualTo("plan");
      assertThat(last.headers()).containsEntry("pgbridge.project_id", project.toString())
          .containsEntry("pgbridge.version", Long.toString(version))
          .containsKey("pgbridge.updated_at");
      assertThat(last.headers().get("pgbridge.sources")).contains("generation_sessions:");
    }
  }

  @Test
  void burstYieldsTheLeadingRecordAndAtMostOnePerWindowEndingAtTheFinalVersion()
      throws Exception {
    UUID id = UUID.randomUUID();
    try (Connection c = harness.connect(); TopicReader reader = harness.reader()) {
      long start = System.nanoTime();
      SessionWriter.insert(c, id, UUID.randomUUID(), "{\"n\":0}");
      long inserted = SessionWriter.version(c, id);
      for (int i = 1; i <= 50; i++) {
        SessionWriter.updateState(c, id, "{\"n\":" + i + "}");
      }
      long last = inserted + 50;
      long burstMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(reader.pollUntil(r -> r.last(id) != null && r.last(id).version() == last,
          Duration.ofSeconds(20))).isTrue();
      reader.drain(Duration.ofMillis(1500));
      List<Received> records = reader.records(id);
      // debounce.ms=100, leading: one record at once, then one per window the burst spans
      assertThat(records).hasSizeBetween(1, 2 + (int) (burstMs / 100));
      assertThat(records.size()).as("51 versions in %d ms coalesced", burstMs).isLessThan(51);
      assertThat(records.get(records.size() - 1).version()).isEqualTo(last);
      assertThat(SessionWriter.parse(records.get(records.size() - 1).value()).get("state")
          .get("n").asInt()).isEqualTo(50);
    }
  }

  @Test
  void twoHundredSessionsWrittenConcurrentlyAllEndWithTheirDatabaseState() throws Exception {
    List<UUID> ids = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      ids.add(UUID.randomUUID());
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (TopicReader reader = harness.reader()) {
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < 8; w++) {
        int worker = w;
        done.add(pool.submit(() -> {
          try (Connection c = harness.connect()) {
            for (int i = worker; i < ids.size(); i += 8) {
              SessionWriter.insert(c, ids.get(i), UUID.randomUUID(), "{\"step\":0}");
            }
            for (int step = 1; step <= 5; step++) {
              for (int i = worker; i < ids.size(); i += 8) {
                SessionWriter.insertTodo(c, ids.get(i), "todo " + step);
                SessionWriter.updateState(c, ids.get(i), "{\"step\":" + step + "}");
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
      try (Connection c = harness.connect()) {
        List<String> problems = FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(30));
        assertThat(problems).isEmpty();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void deletedSessionYieldsATombstone() throws Exception {
    UUID id = UUID.randomUUID();
    try (Connection c = harness.connect(); TopicReader reader = harness.reader()) {
      SessionWriter.insert(c, id, UUID.randomUUID(), "{\"a\":1}");
      assertThat(reader.pollUntil(r -> r.last(id) != null, Duration.ofSeconds(20))).isTrue();
      SessionWriter.insertTodo(c, id, "will be cascaded");
      SessionWriter.delete(c, id);
      assertThat(reader.pollUntil(r -> r.last(id).tombstone(), Duration.ofSeconds(20)))
          .isTrue();
      assertThat(reader.last(id).headers()).containsEntry("pgbridge.deleted", "true");
    }
  }

  @Test
  void childRowChangeWithoutNewVersionPublishesNothingNew() throws Exception {
    UUID id = UUID.randomUUID();
    try (Connection c = harness.connect(); TopicReader reader = harness.reader()) {
      SessionWriter.insert(c, id, UUID.randomUUID(), "{\"a\":1}");
      assertThat(reader.pollUntil(r -> r.last(id) != null, Duration.ofSeconds(20))).isTrue();
      reader.drain(Duration.ofMillis(500));
      double skippedBefore = bridge.metrics().skipped().count();
      SessionWriter.insertTodo(c, id, "a todo");
      SessionWriter.insertTodo(c, id, "another");
      // the child notifications are fetched and skipped: wait until that is counted
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (bridge.metrics().skipped().count() <= skippedBefore && System.nanoTime() < deadline) {
        reader.poll(100);
      }
      assertThat(bridge.metrics().skipped().count()).isGreaterThan(skippedBefore);
      reader.drain(Duration.ofMillis(1000));
      assertThat(reader.records(id)).hasSize(1);
    }
  }

  @Test
  void notificationForASessionThatNeverExistedPublishesNoTombstone() throws Exception {
    UUID ghost = UUID.randomUUID();
    UUID real = UUID.randomUUID();
    try (Connection c = harness.connect(); TopicReader reader = harness.reader()) {
      try (var ps = c.prepareStatement("SELECT pg_notify('generation_updates', ?)")) {
        ps.setString(1, "{\"table\":\"generation_todos\",\"op\":\"INSERT\",\"session_id\":\""
            + ghost + "\"}");
        ps.execute();
      }
      SessionWriter.insert(c, real, UUID.randomUUID(), "{}");
      assertThat(reader.pollUntil(r -> r.last(real) != null, Duration.ofSeconds(20))).isTrue();
      reader.drain(Duration.ofMillis(500));
      assertThat(reader.records(ghost)).isEmpty();
    }
  }
}
