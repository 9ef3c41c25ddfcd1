package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.Bridge;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A session deleted and created again with the same id by writers that do not see each other:
 * the re-created row's version must be above every version already published for the id,
 * whatever the interleaving, so that neither the bridge's unchanged-version skip nor a
 * consumer that keeps the highest version can hide the new life.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConcurrentRecreationIT {

  private static BridgeHarness h;
  private static Bridge bridge;
  private static final ExecutorService writerB = Executors.newSingleThreadExecutor();

  @BeforeAll
  static void start() throws Exception {
    h = BridgeHarness.create("concurrent_recreation", 1);
    // no settle pass: its retention would keep the deletion log from being pruned, and one
    // test needs the log pruned
    bridge = h.startBridge(Map.of("ha.takeover.settle.ms", "0"));
  }

  @AfterAll
  static void stop() {
    writerB.shutdownNow();
    if (bridge != null) {
      bridge.stop();
    }
  }

  /**
   * Transaction A deletes the session and holds; B inserts the same id and waits on A's row
   * lock; A commits, then B. B's trigger ran before A's deletion was visible to anyone.
   */
  @ParameterizedTest
  @ValueSource(ints = {Connection.TRANSACTION_READ_COMMITTED,
      Connection.TRANSACTION_REPEATABLE_READ})
  void aSessionRecreatedWhileItsDeletionIsUncommittedGetsANewerVersion(int isolation)
      throws Exception {
    UUID id = UUID.randomUUID();
    try (Connection c = h.connect(); Connection a = h.connect(); Connection b = h.connect();
        TopicReader reader = h.reader()) {
      long published = lifeWithUpdates(c, reader, id, 5);

      a.setAutoCommit(false);
      SessionWriter.delete(a, id);
      b.setTransactionIsolation(isolation);
      b.setAutoCommit(false);
      int pidB = backendPid(b);
      Future<?> insert = writerB.submit(() -> {
        SessionWriter.insert(b, id, UUID.randomUUID(), "{\"life\":2}");
        return null;
      });
      awaitBlockedOnLock(c, pidB);
      assertThat(insert.isDone()).as("B waits for A's row lock").isFalse();
      a.commit();
      insert.get(20, TimeUnit.SECONDS);
      b.commit();

      assertNewLifePublished(c, reader, id, published);
    }
  }

  /** The same with A committed and its tombstone published and checkpointed before B commits. */
  @Test
  void aSessionRecreatedAfterItsTombstoneWasCheckpointedGetsANewerVersion() throws Exception {
    UUID id = UUID.randomUUID();
    try (Connection c = h.connect(); Connection a = h.connect(); Connection b = h.connect();
        TopicReader reader = h.reader()) {
      long published = lifeWithUpdates(c, reader, id, 5);

      a.setAutoCommit(false);
      SessionWriter.delete(a, id);
      b.setAutoCommit(false);
      int pidB = backendPid(b);
      Future<?> insert = writerB.submit(() -> {
        SessionWriter.insert(b, id, UUID.randomUUID(), "{\"life\":2}");
        return null;
      });
      awaitBlockedOnLock(c, pidB);
      a.commit();
      insert.get(20, TimeUnit.SECONDS);
      assertThat(reader.pollUntil(r -> r.last(id).tombstone(), Duration.ofSeconds(20)))
          .isTrue();
      awaitCheckpoints(2);
      b.commit();

      assertNewLifePublished(c, reader, id, published);
    }
  }

  /** One statement: the DELETE's AFTER trigger runs after the INSERT's BEFORE trigger. */
  @Test
  void aSessionRecreatedByOneStatementWithADeletingCteGetsANewerVersion() throws Exception {
    UUID id = UUID.randomUUID();
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      long published = lifeWithUpdates(c, reader, id, 5);
      try (PreparedStatement ps = c.prepareStatement("WITH d AS (DELETE FROM"
          + " generation_sessions WHERE id = ? RETURNING id, project_id) INSERT INTO"
          + " generation_sessions (id, project_id, raw_state)"
          + " SELECT id, project_id, '{\"life\":2}'::jsonb FROM d")) {
        ps.setObject(1, id);
        assertThat(ps.executeUpdate()).isEqualTo(1);
      }
      assertNewLifePublished(c, reader, id, published);
    }
  }

  /** Deleted, its tombstone checkpointed (the deletion log pruned), then inserted again. */
  @Test
  void aSessionInsertedAgainAfterTheDeletionLogWasPrunedGetsANewerVersion() throws Exception {
    UUID id = UUID.randomUUID();
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      long published = lifeWithUpdates(c, reader, id, 5);
      SessionWriter.delete(c, id);
      assertThat(reader.pollUntil(r -> r.last(id).tombstone(), Duration.ofSeconds(20)))
          .isTrue();
      awaitCheckpoints(2);
      try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM"
          + " pgbridge_deleted_sessions WHERE session_id = ?")) {
        ps.setObject(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertThat(rs.getLong(1)).as("deletion log pruned").isZero();
        }
      }
      SessionWriter.insert(c, id, UUID.randomUUID(), "{\"life\":2}");
      assertNewLifePublished(c, reader, id, published);
    }
  }

  /** Inserts {@code id}, updates it {@code updates} times; returns the version published. */
  private static long lifeWithUpdates(Connection c, TopicReader reader, UUID id, int updates)
      throws SQLException {
    SessionWriter.insert(c, id, UUID.randomUUID(), "{\"life\":1}");
    for (int i = 1; i <= updates; i++) {
      SessionWriter.updateState(c, id, "{\"life\":1,\"step\":" + i + "}");
    }
    long version = version(c, id);
    assertThat(reader.pollUntil(r -> r.last(id) != null && !r.last(id).tombstone()
        && r.last(id).version() == version, Duration.ofSeconds(20))).isTrue();
    return version;
  }

  private static void assertNewLifePublished(Connection c, TopicReader reader, UUID id,
      long published) throws SQLException {
    long now = version(c, id);
    assertThat(now).as("version of the re-created row").isGreaterThan(published);
    assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(20))).isEmpty();
    assertThat(reader.last(id).version()).isEqualTo(now);
    assertThat(SessionWriter.parse(reader.last(id).value()).get("state").get("life").asInt())
        .isEqualTo(2);
  }

  private static long version(Connection c, UUID id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT state_version FROM generation_sessions WHERE id = ?")) {
      ps.setObject(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        return rs.getLong(1);
      }
    }
  }

  static int backendPid(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_backend_pid()");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** Waits until backend {@code pid} waits for a lock (pg_stat_activity), at most 10 s. */
  static void awaitBlockedOnLock(Connection observer, int pid) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    try (PreparedStatement ps = observer.prepareStatement("SELECT wait_event_type FROM"
        + " pg_stat_activity WHERE pid = ?")) {
      ps.setInt(1, pid);
      while (true) {
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next() && "Lock".equals(rs.getString(1))) {
            return;
          }
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("backend " + pid + " did not block on a lock within 10 s");
        }
        Thread.sleep(10);
      }
    }
  }

  private static void awaitCheckpoints(int more) throws InterruptedException {
    double target = bridge.metrics().checkpoints().count() + more;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (bridge.metrics().checkpoints().count() < target) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no checkpoint stored within 20 s");
      }
      Thread.sleep(20);
    }
  }
}
