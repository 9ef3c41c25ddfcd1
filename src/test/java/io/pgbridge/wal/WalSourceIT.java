package io.pgbridge.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.ChangeSources.Op;
import io.pgbridge.coalesce.DueSession;
import io.pgbridge.connection.SqlErrors;
import io.pgbridge.source.Recovery;
import io.pgbridge.testing.TestInfra;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * {@link io.pgbridge.source.wal.WalSource} against a real PostgreSQL: row changes of the four
 * tables become the marks the NOTIFY triggers would cause, barriers and truncates arrive in
 * order, the slot confirms only what was acknowledged, and a dropped slot is re-created with the
 * catch-up it owes. No Kafka: sessions are completed by hand.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WalSourceIT {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private WalFixture f;

  private WalFixture fixture(TestInfo info, long statusIntervalMs) throws SQLException {
    String name = "wal_" + info.getTestMethod().orElseThrow().getName().toLowerCase()
        .replaceAll("[^a-z0-9]", "");
    f = new WalFixture(TestInfra.postgres(), name.substring(0, Math.min(name.length(), 50)),
        statusIntervalMs, true);
    return f;
  }

  @AfterEach
  void tearDown() throws SQLException {
    if (f != null) {
      f.close();
    }
  }

  private long bit(int table, Op op) {
    return ChangeSources.bit(table, op);
  }

  @Test
  void changesOfEveryTableBecomeTheMarksOfTheirSessions(TestInfo info) throws Exception {
    WalFixture f = fixture(info, 200);
    assertThat(f.begin().kind()).as("first start, catchup.initial=all")
        .isEqualTo(Recovery.Kind.ALL);
    UUID a = UUID.randomUUID();
    UUID b = UUID.randomUUID();
    UUID moved = UUID.randomUUID();
    f.sql("INSERT INTO generation_sessions (id, project_id) VALUES ('" + a + "', gen_random_uuid()),"
        + " ('" + b + "', gen_random_uuid())");
    f.awaitPublished(a, bit(0, Op.INSERT));
    f.awaitPublished(b, bit(0, Op.INSERT));

    f.sql("UPDATE generation_sessions SET raw_state = '{}' WHERE id = '" + a + "'");
    f.awaitPublished(a, bit(0, Op.UPDATE));

    f.sql("INSERT INTO generation_todos (session_id, content) VALUES ('" + a + "', 'x')");
    f.awaitPublished(a, bit(1, Op.INSERT));
    f.sql("INSERT INTO generation_tool_calls (session_id, tool_name) VALUES ('" + a + "', 't')");
    f.awaitPublished(a, bit(2, Op.INSERT));
    f.sql("INSERT INTO generation_notes (session_id, body) VALUES ('" + a + "', 'n')");
    f.awaitPublished(a, bit(3, Op.INSERT));

    // a todo moving to another session: both sessions, as the NOTIFY trigger does
    f.sql("UPDATE generation_todos SET session_id = '" + b + "' WHERE session_id = '" + a + "'");
    f.awaitPublished(b, bit(1, Op.UPDATE));
    f.awaitPublished(a, bit(1, Op.UPDATE));
    f.published.clear();

    // a child DELETE: the old key carries session_id by the replica identity
    f.sql("DELETE FROM generation_todos WHERE session_id = '" + b + "'");
    f.awaitPublished(b, bit(1, Op.DELETE));
    f.sql("UPDATE generation_tool_calls SET state = 'done' WHERE session_id = '" + a + "'");
    f.awaitPublished(a, bit(2, Op.UPDATE));
    f.sql("DELETE FROM generation_notes WHERE session_id = '" + a + "'");
    f.awaitPublished(a, bit(3, Op.DELETE));

    // an id change: the new id is updated, the old one is deleted (its row is gone)
    f.sql("DELETE FROM generation_tool_calls WHERE session_id = '" + a + "'");
    f.sql("UPDATE generation_sessions SET id = '" + moved + "' WHERE id = '" + a + "'");
    f.awaitPublished(moved, bit(0, Op.UPDATE));
    f.awaitPublished(a, bit(0, Op.DELETE));

    f.sql("DELETE FROM generation_sessions WHERE id = '" + b + "'");
    f.awaitPublished(b, bit(0, Op.DELETE));

    assertThat(f.registry.get("pgbridge.wal.changes").tag("table", "generation_sessions")
        .tag("op", "INSERT").counter().count()).isEqualTo(2);
    assertThat(f.registry.get("pgbridge.wal.changes").tag("table", "generation_todos")
        .tag("op", "DELETE").counter().count()).isEqualTo(1);
    assertThat(f.registry.get("pgbridge.errors").tag("kind", "wal_protocol").counter().count())
        .isZero();
  }

  @Test
  void aBarrierArrivesAfterTheMarksOfEveryEarlierTransaction(TestInfo info) throws Exception {
    WalFixture f = fixture(info, 200);
    f.begin();
    UUID a = UUID.randomUUID();
    f.sql("INSERT INTO generation_sessions (id, project_id) VALUES ('" + a
        + "', gen_random_uuid())",
        "SELECT pg_logical_emit_message(true, 'pgbridge.barrier', 'bridge-x/1')",
        "SELECT pg_logical_emit_message(false, 'pgbridge.barrier', 'not-ordered')",
        "SELECT pg_logical_emit_message(true, 'someone.else', 'ignored')");
    f.pollUntil("the barrier", WAIT, () -> f.barriers.contains("bridge-x/1"));
    long seq;
    synchronized (f.barrierSeqs) {
      seq = f.barrierSeqs.get("bridge-x/1");
    }
    assertThat(seq).as("the insert before it was marked first")
        .isGreaterThanOrEqualTo(1).isEqualTo(f.coalescer.lastSeq());
    f.pollFor(Duration.ofMillis(300));
    assertThat(f.barriers).containsExactly("bridge-x/1");
  }

  @Test
  void aTruncateOfTheSessionsTableMarksEverySessionInTheDeletionLog(TestInfo info)
      throws Exception {
    WalFixture f = fixture(info, 200);
    f.begin();
    UUID a = UUID.randomUUID();
    UUID b = UUID.randomUUID();
    f.sql("INSERT INTO generation_sessions (id, project_id) VALUES ('" + a + "', gen_random_uuid()),"
        + " ('" + b + "', gen_random_uuid())");
    f.awaitPublished(b, bit(0, Op.INSERT));
    f.store.store(f.store.currentSnapshot());
    f.published.clear();
    f.sql("TRUNCATE generation_sessions CASCADE");
    f.awaitPublished(a, bit(0, Op.DELETE));
    f.awaitPublished(b, bit(0, Op.DELETE));
    assertThat(f.registry.get("pgbridge.wal.changes").tag("table", "generation_sessions")
        .tag("op", "TRUNCATE").counter().count()).isEqualTo(1);

    // the WAL mode's trigger announces a truncate by message (partitions send no TRUNCATE)
    f.published.clear();
    f.sql("SELECT pg_logical_emit_message(true, 'pgbridge.truncate', 'generation_sessions')");
    f.awaitPublished(a, bit(0, Op.DELETE));
    f.awaitPublished(b, bit(0, Op.DELETE));
  }

  @Test
  void theSlotNeverConfirmsATransactionWhoseSessionsAreNotAcknowledged(TestInfo info)
      throws Exception {
    WalFixture f = fixture(info, 100);
    f.begin();
    f.pollFor(Duration.ofMillis(300));
    UUID a = UUID.randomUUID();
    f.sql("INSERT INTO generation_sessions (id, project_id) VALUES ('" + a
        + "', gen_random_uuid())");
    long afterCommit = f.currentWalLsn();
    f.pollUntil("the mark", WAIT, () -> f.coalescer.pendingCount() == 1);
    List<DueSession> inFlight = f.takeAll();
    assertThat(inFlight).extracting(DueSession::id).containsExactly(a);
    f.pollFor(Duration.ofMillis(300));
    long held = f.confirmedFlush();
    assertThat(held).as("before the unacknowledged transaction").isLessThan(afterCommit);
    // WAL of other tables goes on; several status intervals pass
    for (int i = 0; i < 5; i++) {
      f.sql("INSERT INTO unrelated (payload) VALUES ('x')");
      f.pollFor(Duration.ofMillis(150));
    }
    assertThat(f.confirmedFlush()).as("held while the session is in flight").isEqualTo(held);

    f.coalescer.complete(a, true);
    f.pollUntil("confirmed past the transaction", WAIT, () -> confirmed(f) >= afterCommit);
  }

  @Test
  void onlyAnUnrelatedTableWrittenStillAdvancesTheSlot(TestInfo info) throws Exception {
    WalFixture f = fixture(info, 100);
    f.begin();
    f.pollFor(Duration.ofMillis(300));
    for (int i = 0; i < 3; i++) {
      f.sql("INSERT INTO unrelated (payload) SELECT repeat('y', 100) FROM generate_series(1, 100)");
    }
    long written = f.currentWalLsn();
    f.pollUntil("confirmed past the unrelated writes", WAIT, () -> confirmed(f) >= written);
    assertThat(f.coalescer.lastSeq()).isZero();
  }

  @Test
  void aSlotDroppedWhileStreamingIsCreatedAgainAndOwesTheCheckpointsCatchUp(TestInfo info)
      throws Exception {
    WalFixture f = fixture(info, 100);
    Recovery first = f.begin();
    f.source.recovered(first);
    String checkpoint = f.store.currentSnapshot();
    f.store.store(checkpoint);
    f.pollFor(Duration.ofMillis(200));
    assertThat(f.begin().kind()).as("a healthy slot after its catch-up")
        .isEqualTo(Recovery.Kind.NONE);

    f.dropSlot();
    assertThatThrownBy(() -> f.pollFor(Duration.ofSeconds(10)))
        .as("the stream ends when its walsender is terminated").isInstanceOf(SQLException.class);
    Recovery afterLoss = f.begin();
    assertThat(afterLoss).isEqualTo(Recovery.from(checkpoint));
    assertThat(f.confirmedFlush()).as("created again").isNotNull();
    assertThat(f.recordedCatchup()).isEqualTo(checkpoint);
    assertThat(f.registry.get("pgbridge.wal.slot.recreated").tag("reason", "dropped").counter()
        .count()).isEqualTo(1);
    assertThat(f.registry.get("pgbridge.wal.slot.recreated").tag("reason", "invalidated")
        .counter().count()).isZero();
    @SuppressWarnings("unchecked")
    var slot = (java.util.Map<String, Object>) f.source.status().get("slot");
    assertThat(slot.get("lastLoss")).asString().contains("dropped");

    // interrupted before its catch-up finished: the next start owes it still
    assertThat(f.begin()).isEqualTo(Recovery.from(checkpoint));
    f.source.recovered(afterLoss);
    assertThat(f.recordedCatchup()).isNull();
    assertThat(f.begin().kind()).isEqualTo(Recovery.Kind.NONE);

    // and the re-created slot streams
    UUID a = UUID.randomUUID();
    f.sql("INSERT INTO generation_sessions (id, project_id) VALUES ('" + a
        + "', gen_random_uuid())");
    f.awaitPublished(a, bit(0, Op.INSERT));
  }

  @Test
  void aSlotRecordedByAnotherBridgeIsRefused(TestInfo info) throws Exception {
    WalFixture f = fixture(info, 100);
    f.sql("INSERT INTO pgbridge_checkpoint (bridge_id, snapshot, wal_slot) VALUES"
        + " ('someone-else', NULL, '" + f.source.slotName() + "')");
    assertThatThrownBy(f::begin).isInstanceOf(SQLException.class)
        .hasMessageContaining("someone-else").hasMessageContaining("wal.slot.name")
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("55000"));
    assertThat(f.confirmedFlush()).as("no slot created").isNull();
  }

  /**
   * Partitioned sessions and todos (whose primary key carries session_id, so their replica
   * identity does); the other children with a replica identity index on (session_id, id).
   */
  private static final String PARTITIONED = """
      CREATE TABLE generation_sessions (
        id uuid PRIMARY KEY, project_id uuid NOT NULL, status text NOT NULL DEFAULT 'pending',
        raw_state jsonb, updated_at timestamptz NOT NULL DEFAULT now()) PARTITION BY HASH (id);
      CREATE TABLE generation_sessions_p0 PARTITION OF generation_sessions
        FOR VALUES WITH (MODULUS 2, REMAINDER 0);
      CREATE TABLE generation_sessions_p1 PARTITION OF generation_sessions
        FOR VALUES WITH (MODULUS 2, REMAINDER 1);
      CREATE TABLE generation_todos (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES generation_sessions (id) ON DELETE CASCADE,
        content text NOT NULL, PRIMARY KEY (id, session_id)) PARTITION BY HASH (session_id);
      CREATE TABLE generation_todos_p0 PARTITION OF generation_todos
        FOR VALUES WITH (MODULUS 2, REMAINDER 0);
      CREATE TABLE generation_todos_p1 PARTITION OF generation_todos
        FOR VALUES WITH (MODULUS 2, REMAINDER 1);
      CREATE TABLE generation_tool_calls (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES generation_sessions (id) ON DELETE CASCADE,
        tool_name text NOT NULL);
      CREATE UNIQUE INDEX generation_tool_calls_ri ON generation_tool_calls (session_id, id);
      ALTER TABLE generation_tool_calls REPLICA IDENTITY USING INDEX generation_tool_calls_ri;
      CREATE TABLE generation_notes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES generation_sessions (id) ON DELETE CASCADE,
        body text NOT NULL);
      CREATE UNIQUE INDEX generation_notes_ri ON generation_notes (session_id, id);
      ALTER TABLE generation_notes REPLICA IDENTITY USING INDEX generation_notes_ri;
      """;

  @Test
  void changesOfPartitionsArriveAsTheirPartitionedTables(TestInfo info) throws Exception {
    f = new WalFixture(TestInfra.postgres(), "wal_partitioned", 100, true, PARTITIONED);
    f.begin();
    UUID a = UUID.randomUUID();
    UUID b = UUID.randomUUID();
    f.sql("INSERT INTO generation_sessions (id, project_id) VALUES ('" + a + "', gen_random_uuid()),"
        + " ('" + b + "', gen_random_uuid())");
    f.awaitPublished(a, bit(0, Op.INSERT));
    f.awaitPublished(b, bit(0, Op.INSERT));
    f.sql("INSERT INTO generation_todos (session_id, content) VALUES ('" + a + "', 'x')");
    f.awaitPublished(a, bit(1, Op.INSERT));
    // a todo moving between sessions may move between partitions too (a DELETE and an
    // INSERT) or stay in its partition (an UPDATE with the old key): both sessions either way
    f.published.clear();
    f.sql("UPDATE generation_todos SET session_id = '" + b + "' WHERE session_id = '" + a + "'");
    long todoChanges = bit(1, Op.INSERT) | bit(1, Op.UPDATE) | bit(1, Op.DELETE);
    f.awaitAny(b, todoChanges);
    f.awaitAny(a, todoChanges);
    f.published.clear();
    f.sql("INSERT INTO generation_tool_calls (session_id, tool_name) VALUES ('" + a + "', 't')",
        "UPDATE generation_tool_calls SET session_id = '" + b + "'",
        "DELETE FROM generation_tool_calls");
    f.awaitPublished(a, bit(2, Op.INSERT) | bit(2, Op.UPDATE));
    f.awaitPublished(b, bit(2, Op.UPDATE) | bit(2, Op.DELETE));
    // an id change moves the session's row to the other partition, or keeps it in its own
    UUID moved = UUID.randomUUID();
    f.sql("DELETE FROM generation_todos", "UPDATE generation_sessions SET id = '" + moved
        + "' WHERE id = '" + a + "'");
    f.awaitAny(moved, bit(0, Op.INSERT) | bit(0, Op.UPDATE));
    f.awaitPublished(a, bit(0, Op.DELETE));
    assertThat(f.registry.get("pgbridge.errors").tag("kind", "wal_unrouted").counter().count())
        .isZero();
  }

  @Test
  void aChildDeleteWithoutSessionIdInItsOldKeyRepublishesEverySession(TestInfo info)
      throws Exception {
    WalFixture f = fixture(info, 100);
    assertThat(f.begin().kind()).isEqualTo(Recovery.Kind.ALL);
    f.source.recovered(Recovery.all());
    assertThat(f.recordedCatchup()).isNull();
    UUID a = UUID.randomUUID();
    f.sql("INSERT INTO generation_sessions (id, project_id) VALUES ('" + a + "',"
        + " gen_random_uuid())", "INSERT INTO generation_notes (session_id, body) VALUES ('"
        + a + "', 'n')");
    f.awaitPublished(a, bit(3, Op.INSERT));
    // as a partition attached after migrate has it: the old key is the primary key only
    f.sql("ALTER TABLE generation_notes REPLICA IDENTITY DEFAULT");
    f.source.probe();
    assertThat(f.state.lastError()).as("the probe tells before a delete happens")
        .contains("generation_notes").contains("lacks session_id")
        .contains("pgbridge migrate --source-mode wal");
    f.sql("DELETE FROM generation_notes WHERE session_id = '" + a + "'");
    SQLException lost = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (lost == null) {
      assertThat(System.nanoTime() - deadline).as("the source gives up the stream")
          .isNegative();
      try {
        f.source.poll(20);
      } catch (SQLException e) {
        lost = e;
      }
    }
    assertThat(lost.getMessage()).contains("generation_notes")
        .contains("pgbridge migrate --source-mode wal");
    assertThat(SqlErrors.isTransient(lost)).as("reconnects").isTrue();
    assertThat(f.recordedCatchup()).as("every session owed, durably").isEqualTo("all");
    assertThat(f.registry.get("pgbridge.errors").tag("kind", "wal_unrouted").counter().count())
        .isPositive();
    assertThat(f.state.lastError()).contains("pgbridge migrate");
    Long before = f.confirmedFlush();

    // the next connection runs that catch-up, which covers the delete received again
    assertThat(f.begin().kind()).isEqualTo(Recovery.Kind.ALL);
    f.pollFor(Duration.ofMillis(500));
    assertThat(f.recordedCatchup()).isEqualTo("all");
    f.pollUntil("the delete confirmed", Duration.ofSeconds(10), () -> {
      f.publishAll();
      try {
        Long now = f.confirmedFlush();
        return now != null && before != null && now > before;
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @Test
  void theProbeReadsTheSlotAndAbortsWhenAnotherProcessStreamsIt(TestInfo info)
      throws Exception {
    WalFixture f = fixture(info, 100);
    f.begin();
    f.pollFor(Duration.ofMillis(300));
    f.source.probe();
    assertThat(f.registry.get("pgbridge.wal.slot.lag.bytes").gauge().value())
        .isGreaterThanOrEqualTo(0);
    assertThat(f.registry.get("pgbridge.wal.retained.bytes").gauge().value())
        .isGreaterThanOrEqualTo(0);
    assertThat(f.registry.get("pgbridge.wal.confirmed.lsn.age.seconds").gauge().value())
        .as("nothing owed").isZero();
    Map<String, Object> status = f.source.status();
    @SuppressWarnings("unchecked")
    Map<String, Object> slot = (Map<String, Object>) status.get("slot");
    assertThat(slot).containsEntry("name", f.source.slotName()).containsEntry("active", true)
        .containsEntry("lastLoss", null);
    assertThat(slot.get("confirmedFlushLsn")).asString().matches("[0-9A-F]+/[0-9A-F]+");
    assertThat(status).containsEntry("publication", "pgbridge")
        .containsEntry("syncState", "async");
    assertThat(status.get("receivedLsn")).isNotNull();

    // the slot's walsender is no longer this connection's: two probes in a row say so
    try (Connection c = f.connect(); Statement st = c.createStatement()) {
      st.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
          + " WHERE slot_name = '" + f.source.slotName() + "'");
    }
    f.pollUntil("the slot inactive", WAIT, () -> !active(f));
    f.source.probe();
    assertThatThrownBy(f.source::probe).isInstanceOf(SQLException.class)
        .hasMessageContaining("not this connection's")
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).startsWith("08"));
  }

  @Test
  void drainingStopsMarkingLetsBarriersThroughAndHoldsTheSlot(TestInfo info) throws Exception {
    WalFixture f = fixture(info, 100);
    f.begin();
    f.pollFor(Duration.ofMillis(300));
    f.source.drain();
    UUID a = UUID.randomUUID();
    f.sql("INSERT INTO generation_sessions (id, project_id) VALUES ('" + a
        + "', gen_random_uuid())");
    long afterCommit = f.currentWalLsn();
    f.sql("SELECT pg_logical_emit_message(true, 'pgbridge.barrier', 'last/1')");
    f.pollUntil("the barrier", WAIT, () -> f.barriers.contains("last/1"));
    f.pollFor(Duration.ofMillis(500));
    assertThat(f.coalescer.lastSeq()).as("nothing marked while draining").isZero();
    assertThat(f.confirmedFlush()).as("the next leader streams the ignored change again")
        .isLessThan(afterCommit);
  }

  @Test
  void aFirstStartWithCatchupInitialNoneStoresACheckpointAndReplaysOnlyTheGap(TestInfo info)
      throws Exception {
    f = new WalFixture(TestInfra.postgres(), "wal_initial_none", 100, false);
    Recovery r = f.begin();
    assertThat(r.kind()).isEqualTo(Recovery.Kind.SNAPSHOT);
    assertThat(f.store.load()).map(c -> c.snapshot()).contains(r.snapshot());
    assertThat(f.recordedCatchup()).isEqualTo(r.snapshot());
  }

  @Test
  void aFailoverSlotIsCreatedOnSeventeenAndRefusedBefore(TestInfo info) throws Exception {
    f = new WalFixture(TestInfra.postgres(), "wal_failover", 100, true, null, true);
    int major;
    try (Connection c = f.connect()) {
      major = WalFixture.major(c);
    }
    if (major < 17) {
      assertThatThrownBy(f::begin).isInstanceOf(SQLException.class)
          .hasMessageContaining("wal.slot.failover");
      assertThat(f.confirmedFlush()).as("no slot created").isNull();
      return;
    }
    f.begin();
    try (Connection c = f.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT failover FROM pg_replication_slots"
            + " WHERE slot_name = '" + f.source.slotName() + "'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getBoolean(1)).isTrue();
    }
  }

  private static boolean active(WalFixture f) {
    try (Connection c = f.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT active FROM pg_replication_slots"
            + " WHERE slot_name = '" + f.source.slotName() + "'")) {
      return rs.next() && rs.getBoolean(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long confirmed(WalFixture f) {
    try {
      Long c = f.confirmedFlush();
      return c == null ? -1 : c;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
