package io.pgbridge.republish;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgbridge.BridgeState;
import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.Completion;
import io.pgbridge.coalesce.DebounceMode;
import io.pgbridge.coalesce.DueSession;
import io.pgbridge.coalesce.SessionCoalescer;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.republish.RepublishRequest.Scope;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.time.Backoff;
import io.pgbridge.time.Ticker;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The republish walk against a real PostgreSQL, with coalescers whose flights the test
 * completes by hand: a page counts only once every session in it is acknowledged, progress is
 * stored and shown as it goes, and a request left by a leader that stopped leading is resumed by
 * the next one right after the last acknowledged page.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RepublishCoordinatorIT {

  private static final int PAGE = 10;
  private static BridgeHarness harness;
  private static HikariDataSource pool;
  private static final List<UUID> SESSIONS = new ArrayList<>();
  private static final AtomicInteger allRepublished = new AtomicInteger();

  @BeforeAll
  static void sessions() throws Exception {
    harness = BridgeHarness.create("republish_walk", 1);
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(harness.jdbcUrl());
    hc.setUsername(harness.server().user());
    hc.setPassword(harness.server().password());
    hc.setMaximumPoolSize(2);
    pool = new HikariDataSource(hc);
    try (Connection c = harness.connect()) {
      for (int i = 0; i < 35; i++) {
        UUID id = UUID.randomUUID();
        SessionWriter.insert(c, id, UUID.randomUUID(), "{}");
        SESSIONS.add(id);
      }
    }
    SESSIONS.sort(RepublishStore::compareAsPostgres);
  }

  @AfterAll
  static void close() {
    pool.close();
  }

  private static BridgeState leader() {
    BridgeState s = new BridgeState();
    s.connected(true);
    s.catchUpDone(s.newGeneration());
    s.role(BridgeState.Role.LEADER);
    return s;
  }

  private static SessionCoalescer coalescer() {
    return new SessionCoalescer(Ticker.SYSTEM, DebounceMode.LEADING, 0, 1000,
        new Backoff(10, 100, () -> 1.0));
  }

  private static RepublishCoordinator coordinator(SessionCoalescer c, BridgeState s,
      String instance, SimpleMeterRegistry registry) {
    return new RepublishCoordinator(pool, new RepublishStore("public", "generation_sessions",
        "walk"), c, s, new BridgeMetrics(registry, "walk",
        new ChangeSources(List.of("generation_sessions"))), Ticker.SYSTEM, instance, PAGE, 20,
        allRepublished::incrementAndGet);
  }

  @Test
  void walksInAcknowledgedPagesAndTheNextLeaderResumesAfterTheLastOne() throws Exception {
    long id;
    try (Connection c = harness.connect()) {
      id = new RepublishStore("public", "generation_sessions", "walk")
          .insert(c, Scope.ALL, null, null);
    }
    SessionCoalescer first = coalescer();
    BridgeState firstState = leader();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    RepublishCoordinator a = coordinator(first, firstState, "walk-a", registry);
    a.start();
    try {
      await(() -> first.pendingCount() == 35, "every page marked (backlog below the limit)");
      await(() -> a.status() != null && a.status().get("marked").equals(35L), "progress shown");
      assertThat(a.status()).containsEntry("request", id).containsEntry("acknowledged", 0L)
          .containsEntry("scope", "all");
      assertThat(row(id)).containsEntry("state", "running").containsEntry("taken_by", "walk-a")
          .containsEntry("republished", 0L);

      List<DueSession> due = first.pollDue(100);
      assertThat(due).extracting(DueSession::id).containsExactlyInAnyOrderElementsOf(SESSIONS);
      assertThat(due).allMatch(s -> (s.sources() & ChangeSources.REPUBLISH) != 0
          && (s.sources() & ChangeSources.REQUEST) != 0);
      // acknowledge the first page and two sessions of the second only
      List<UUID> firstPage = SESSIONS.subList(0, PAGE);
      for (DueSession s : due) {
        if (firstPage.contains(s.id()) || s.id().equals(SESSIONS.get(PAGE))
            || s.id().equals(SESSIONS.get(PAGE + 1))) {
          first.complete(s.id(), Completion.PUBLISHED);
        }
      }
      await(() -> SESSIONS.get(PAGE - 1).toString().equals(row(id).get("done_through")),
          "the first page stored as done");
      assertThat(row(id)).containsEntry("republished", 10L);
      await(() -> a.status() != null && a.status().get("acknowledged").equals(10L),
          "progress shows the acknowledged page");
      assertThat(registry.get("pgbridge.republish.sessions").counter().count()).isEqualTo(35);

      firstState.role(BridgeState.Role.STANDBY); // the leader loses its lock mid-walk
      await(() -> a.status() == null, "the old leader lets go");
      Thread.sleep(100);
      assertThat(row(id)).containsEntry("done_through", SESSIONS.get(PAGE - 1).toString())
          .containsEntry("state", "running");
    } finally {
      a.stop();
      a.join(5_000);
    }

    SessionCoalescer second = coalescer();
    RepublishCoordinator b = coordinator(second, leader(), "walk-b", new SimpleMeterRegistry());
    b.start();
    try {
      await(() -> second.pendingCount() == 25, "the rest marked");
      List<DueSession> rest = second.pollDue(100);
      assertThat(rest).extracting(DueSession::id)
          .as("resumed right after the last acknowledged page")
          .containsExactlyInAnyOrderElementsOf(SESSIONS.subList(PAGE, 35));
      assertThat(row(id)).containsEntry("taken_by", "walk-b").containsEntry("state", "running");
      int reportedBefore = allRepublished.get();
      rest.forEach(s -> second.complete(s.id(), Completion.UNCHANGED));
      await(() -> "done".equals(row(id).get("state")), "request done");
      assertThat(row(id)).containsEntry("republished", 35L);
      await(() -> allRepublished.get() == reportedBefore + 1, "a finished --all reported");
      await(() -> b.status() == null, "nothing shown once done");
    } finally {
      b.stop();
      b.join(5_000);
    }
  }

  @Test
  void namedSessionsAreWalkedInTheDatabaseOrderIncludingOnesWithoutARow() throws Exception {
    UUID missing = UUID.fromString("ffffffff-0000-0000-0000-000000000000");
    List<UUID> named = List.of(SESSIONS.get(3), missing, SESSIONS.get(1));
    long id;
    RepublishStore store = new RepublishStore("public", "generation_sessions", "walk");
    try (Connection c = harness.connect()) {
      id = store.insert(c, Scope.SESSIONS, null, named);
      RepublishRequest r = store.find(c, id).orElseThrow();
      assertThat(store.page(c, r, null, 2)).containsExactly(SESSIONS.get(1), SESSIONS.get(3));
      assertThat(store.page(c, r, SESSIONS.get(3), 2)).containsExactly(missing);
    }
    SessionCoalescer c = coalescer();
    RepublishCoordinator coordinator = coordinator(c, leader(), "walk-c",
        new SimpleMeterRegistry());
    coordinator.start();
    try {
      await(() -> c.pendingCount() == 3, "named sessions marked");
      int reportedBefore = allRepublished.get();
      c.pollDue(10).forEach(s -> c.complete(s.id(), Completion.PUBLISHED));
      await(() -> "done".equals(row(id).get("state")), "done");
      Thread.sleep(50);
      assertThat(allRepublished.get()).as("named sessions are not all").isEqualTo(reportedBefore);
      assertThat(row(id)).containsEntry("republished", 3L)
          .containsEntry("done_through", missing.toString());
    } finally {
      coordinator.stop();
      coordinator.join(5_000);
    }
  }

  @Test
  void postgresAndTheWalkAgreeOnTheOrderOfUuids() throws Exception {
    List<UUID> ids = new ArrayList<>(List.of(UUID.fromString("7fffffff-ffff-ffff-ffff-ffffffffffff"),
        UUID.fromString("80000000-0000-0000-0000-000000000000"),
        UUID.fromString("00000000-0000-0000-8000-000000000000"),
        UUID.fromString("00000000-0000-0000-7fff-ffffffffffff")));
    List<UUID> fromDb = new ArrayList<>();
    try (Connection c = harness.connect(); PreparedStatement ps = c.prepareStatement(
        "SELECT u FROM unnest(?::uuid[]) u ORDER BY u")) {
      ps.setArray(1, c.createArrayOf("uuid", ids.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          fromDb.add(rs.getObject(1, UUID.class));
        }
      }
    }
    ids.sort(RepublishStore::compareAsPostgres);
    assertThat(ids).containsExactlyElementsOf(fromDb);
    ids.sort(Comparator.naturalOrder());
    assertThat(ids).as("Java's own order differs").isNotEqualTo(fromDb);
  }

  private static Map<String, Object> row(long id) {
    try (Connection c = harness.connect(); PreparedStatement ps = c.prepareStatement(
        "SELECT state, taken_by, done_through::text, republished FROM"
            + " pgbridge_republish_requests WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        Map<String, Object> m = new java.util.HashMap<>();
        m.put("state", rs.getString(1));
        m.put("taken_by", rs.getString(2));
        m.put("done_through", rs.getString(3));
        m.put("republished", rs.getLong(4));
        return m;
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting: " + what);
      }
      Thread.sleep(10);
    }
  }
}
