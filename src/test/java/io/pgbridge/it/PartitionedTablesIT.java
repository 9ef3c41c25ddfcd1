package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.Bridge;
import io.pgbridge.migrate.Migrator;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TestInfra;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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
 * An application schema with declarative partitioning: the sessions table
 * {@code PARTITION BY HASH (id)} in two partitions and a partitioned child table, installed
 * with {@code migrate --bridge-only}. Every change must reach the topic (the triggers fire on
 * the partitions, whose names are not the configured tables), catch-up must find what changed
 * while the bridge was away, and deletes, a row moving between partitions and TRUNCATE of a
 * partition or of the parent must all end in tombstones.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PartitionedTablesIT {

  /** The reference schema's four tables, the sessions table and the todos partitioned. */
  static final String SCHEMA = """
      CREATE TABLE generation_sessions (
        id uuid PRIMARY KEY, project_id uuid NOT NULL, status text NOT NULL DEFAULT 'pending',
        raw_state jsonb, created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()) PARTITION BY HASH (id);
      CREATE TABLE generation_sessions_p0 PARTITION OF generation_sessions
        FOR VALUES WITH (MODULUS 2, REMAINDER 0);
      CREATE TABLE generation_sessions_p1 PARTITION OF generation_sessions
        FOR VALUES WITH (MODULUS 2, REMAINDER 1);
      CREATE TABLE generation_todos (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES generation_sessions (id) ON DELETE CASCADE,
        position integer NOT NULL DEFAULT 0, content text NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (id, session_id)) PARTITION BY HASH (session_id);
      CREATE TABLE generation_todos_p0 PARTITION OF generation_todos
        FOR VALUES WITH (MODULUS 2, REMAINDER 0);
      CREATE TABLE generation_todos_p1 PARTITION OF generation_todos
        FOR VALUES WITH (MODULUS 2, REMAINDER 1);
      CREATE TABLE generation_tool_calls (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES generation_sessions (id) ON DELETE CASCADE,
        tool_name text NOT NULL, input jsonb, output jsonb, state text NOT NULL DEFAULT 'running',
        started_at timestamptz NOT NULL DEFAULT now(), ended_at timestamptz);
      CREATE TABLE generation_notes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES generation_sessions (id) ON DELETE CASCADE,
        kind text NOT NULL DEFAULT 'info', body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now());
      """;

  @Test
  void everyChangeOfAPartitionedSchemaReachesTheTopicAndCatchUpFindsWhatWasMissed()
      throws Exception {
    Database db = Database.create("partitioned_changes");
    Bridge bridge = db.h.startBridge(Map.of());
    try (Connection c = db.connect(); TopicReader reader = db.h.reader()) {
      List<UUID> ids = insertSessions(c, 50);
      for (UUID id : ids) {
        SessionWriter.updateState(c, id, "{\"step\":1}");
        SessionWriter.insertTodo(c, id, "todo");
      }
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(30))).isEmpty();
      // every reason is registered at 0 from the start: none may have counted
      assertThat(bridge.metrics().registry().find("pgbridge.notifications.malformed")
          .counters()).isNotEmpty().allSatisfy(m -> assertThat(m.count()).isZero());

      // while the bridge is away: updates in both partitions and a deletion
      bridge.fail(new IllegalStateException("crash"));
      assertThat(bridge.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
      for (UUID id : ids.subList(0, 20)) {
        SessionWriter.updateState(c, id, "{\"step\":2}");
      }
      SessionWriter.delete(c, ids.get(20));
      bridge = db.h.startBridge(Map.of());
      assertThat(FinalStateCheck.await(reader, c, Set.of(ids.get(20)), Duration.ofSeconds(30)))
          .isEmpty();
      assertThat(reader.last(ids.get(20)).tombstone()).isTrue();

      // an UPDATE of the id moves the row to the other partition (or keeps it): the old id
      // gets its tombstone, the new id its record
      UUID moved = ids.get(21);
      UUID movedTo = UUID.randomUUID();
      try (PreparedStatement ps = c.prepareStatement("UPDATE generation_sessions SET id = ?"
          + " WHERE id = ?")) {
        ps.setObject(1, movedTo);
        ps.setObject(2, moved);
        // the todos reference the old id
        try (PreparedStatement del = c.prepareStatement(
            "DELETE FROM generation_todos WHERE session_id = ?")) {
          del.setObject(1, moved);
          del.executeUpdate();
        }
        ps.executeUpdate();
      }
      assertThat(FinalStateCheck.await(reader, c, Set.of(ids.get(20), moved),
          Duration.ofSeconds(30))).isEmpty();
      assertThat(reader.last(moved).tombstone()).isTrue();
    } finally {
      bridge.stop();
    }
  }

  @Test
  void truncatingOnePartitionOrTheParentSendsTombstonesForExactlyItsSessions()
      throws Exception {
    Database db = Database.create("partitioned_truncate");
    Bridge bridge = db.h.startBridge(Map.of());
    try (Connection c = db.connect(); TopicReader reader = db.h.reader()) {
      List<UUID> ids = insertSessions(c, 30);
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(30))).isEmpty();
      Set<UUID> inP0 = idsIn(c, "generation_sessions_p0");
      assertThat(inP0).isNotEmpty().hasSizeLessThan(ids.size());

      try (Statement st = c.createStatement()) {
        st.execute("TRUNCATE generation_sessions_p0 CASCADE");
      }
      assertThat(reader.pollUntil(r -> inP0.stream().allMatch(id -> r.last(id).tombstone()),
          Duration.ofSeconds(30))).as("tombstones for the truncated partition").isTrue();
      assertThat(FinalStateCheck.await(reader, c, inP0, Duration.ofSeconds(30))).isEmpty();

      Set<UUID> rest = new HashSet<>(ids);
      rest.removeAll(inP0);
      try (Statement st = c.createStatement()) {
        st.execute("TRUNCATE generation_sessions CASCADE");
      }
      assertThat(reader.pollUntil(r -> rest.stream().allMatch(id -> r.last(id).tombstone()),
          Duration.ofSeconds(30))).as("tombstones for the truncated parent").isTrue();
    } finally {
      bridge.stop();
    }
  }

  @Test
  void aPartitionAttachedAfterMigrateIsRefusedByCheckUntilMigrateRunsAgain() throws Exception {
    Database db = Database.create("partitioned_attach");
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      st.execute("ALTER TABLE generation_sessions DETACH PARTITION generation_sessions_p1");
      st.execute("CREATE TABLE generation_sessions_p1b (LIKE generation_sessions INCLUDING ALL)");
      st.execute("ALTER TABLE generation_sessions ATTACH PARTITION generation_sessions_p1b"
          + " FOR VALUES WITH (MODULUS 2, REMAINDER 1)");
      assertThat(io.pgbridge.cli.PreflightAccess.problems(db.h.settings(Map.of())))
          .anySatisfy(p -> assertThat(p).contains("generation_sessions_p1b")
              .contains("pgbridge migrate"));

      db.migrate();
      assertThat(io.pgbridge.cli.PreflightAccess.problems(db.h.settings(Map.of()))).isEmpty();
      Bridge bridge = db.h.startBridge(Map.of());
      try (TopicReader reader = db.h.reader()) {
        insertSessions(c, 20);
        assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(30)))
            .isEmpty();
        Set<UUID> inP1b = idsIn(c, "generation_sessions_p1b");
        assertThat(inP1b).isNotEmpty();
        st.execute("TRUNCATE generation_sessions_p1b CASCADE");
        assertThat(reader.pollUntil(r -> inP1b.stream().allMatch(id -> r.last(id).tombstone()),
            Duration.ofSeconds(30))).isTrue();
      } finally {
        bridge.stop();
      }
    }
  }

  @Test
  void formsThatCannotWorkAreRefusedByMigrateWithAClearMessage() throws Exception {
    String children = SCHEMA.substring(SCHEMA.indexOf("CREATE TABLE generation_todos ("));
    String[][] cases = {
        {"partitioned_by_version", "CREATE TABLE generation_sessions (id uuid, project_id uuid,"
            + " raw_state jsonb, updated_at timestamptz, state_version bigint NOT NULL,"
            + " last_txid xid8, PRIMARY KEY (id, state_version))"
            + " PARTITION BY RANGE (state_version);"
            + " CREATE TABLE generation_sessions_all PARTITION OF generation_sessions DEFAULT;",
            "partitioned by state_version"},
        {"inherits", "CREATE TABLE generation_sessions (id uuid PRIMARY KEY, project_id uuid,"
            + " raw_state jsonb, updated_at timestamptz);"
            + " CREATE TABLE generation_sessions_old () INHERITS (generation_sessions);",
            "INHERITS"}};
    for (String[] c : cases) {
      String url = TestInfra.createDatabase("partitioned_refused_" + c[0]);
      TestInfra.Postgres pg = TestInfra.postgres();
      try (Connection conn = DriverManager.getConnection(url, pg.user(), pg.password());
          Statement st = conn.createStatement()) {
        st.execute(c[1]);
        if (c[0].equals("inherits")) {
          st.execute(children.replace(" PARTITION BY HASH (session_id)", "")
              .replaceAll("CREATE TABLE generation_todos_p[01][^;]*;", ""));
        } else {
          st.execute(children.replaceAll("REFERENCES generation_sessions \\(id\\) ON DELETE"
              + " CASCADE", "").replace(" PARTITION BY HASH (session_id)", "")
              .replaceAll("CREATE TABLE generation_todos_p[01][^;]*;", ""));
        }
        Migrator m = new Migrator("public", "generation_sessions", "generation_updates");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> m.migrate(conn, true)))
            .as(c[0]).isInstanceOf(SQLException.class).hasMessageContaining(c[2]);
      }
    }
  }

  static List<UUID> insertSessions(Connection c, int n) throws SQLException {
    List<UUID> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      UUID id = UUID.randomUUID();
      ids.add(id);
      SessionWriter.insert(c, id, UUID.randomUUID(), "{\"step\":0,\"i\":" + i + "}");
    }
    return ids;
  }

  static Set<UUID> idsIn(Connection c, String table) throws SQLException {
    Set<UUID> out = new HashSet<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id FROM " + table)) {
      while (rs.next()) {
        out.add(rs.getObject(1, UUID.class));
      }
    }
    return out;
  }

  /** A database holding {@link #SCHEMA}, with pgbridge installed by migrate --bridge-only. */
  record Database(BridgeHarness h, String url) {

    static Database create(String name) throws SQLException {
      String url = TestInfra.createDatabase(name);
      TestInfra.Postgres pg = TestInfra.postgres();
      try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
          Statement st = c.createStatement()) {
        st.execute(SCHEMA);
      }
      Database db = new Database(BridgeHarness.existing(url, name.replace('_', '-')), url);
      db.migrate();
      return db;
    }

    void migrate() throws SQLException {
      try (Connection c = connect()) {
        new Migrator("public", "generation_sessions", "generation_updates").migrate(c, true);
      }
    }

    Connection connect() throws SQLException {
      return h.connect();
    }
  }
}
