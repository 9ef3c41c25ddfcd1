package io.pgbridge.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgbridge.migrate.MigrationScript;
import io.pgbridge.migrate.Migrator;
import io.pgbridge.migrate.RecordedMode;
import io.pgbridge.source.SourceMode;
import io.pgbridge.testing.TestInfra;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.PGReplicationStream;

/**
 * {@code migrate --source-mode} on a real server, notify to wal and back: which objects each
 * mode leaves (triggers, publication and its column lists, replica identities, the recorded
 * mode), that the application's writes to every table still succeed in each mode (on
 * PostgreSQL 15+ a publication column list that misses a replica identity column makes every
 * UPDATE and DELETE of that table fail), that a second run changes nothing, and what happens
 * to the replication slot a WAL bridge recorded: dropped when inactive, the whole switch
 * refused while a walsender streams from it. Runs on every supported major (the pom's matrix).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WalMigrationIT {

  private static final List<String> CHILDREN =
      List.of("generation_todos", "generation_tool_calls", "generation_notes");

  /**
   * An application schema that exercises every replica identity case: the sessions table and
   * the todos hash-partitioned (the todos' composite primary key already holds session_id),
   * the tool calls range-partitioned with a primary key without session_id (each leaf needs
   * the index), the notes with a composite primary key without session_id.
   */
  static final String PARTITIONED_SCHEMA = """
      CREATE TABLE generation_sessions (
        id uuid PRIMARY KEY, project_id uuid NOT NULL, raw_state jsonb,
        updated_at timestamptz NOT NULL DEFAULT now()) PARTITION BY HASH (id);
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
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES generation_sessions (id) ON DELETE CASCADE,
        tool_name text NOT NULL, started_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (id, started_at)) PARTITION BY RANGE (started_at);
      CREATE TABLE generation_tool_calls_old PARTITION OF generation_tool_calls
        FOR VALUES FROM (MINVALUE) TO ('2026-01-01');
      CREATE TABLE generation_tool_calls_new PARTITION OF generation_tool_calls
        FOR VALUES FROM ('2026-01-01') TO (MAXVALUE);
      CREATE TABLE generation_notes (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES generation_sessions (id) ON DELETE CASCADE,
        kind text NOT NULL DEFAULT 'info', body text NOT NULL, PRIMARY KEY (id, kind));
      """;

  private static Migrator migrator(SourceMode mode) {
    return new Migrator("public", "generation_sessions", "generation_updates", mode, "pgbridge");
  }

  @Test
  void notifyToWalAndBackLeavesEachModesObjectsAndWritesWork() throws Exception {
    String url = TestInfra.createDatabase("wal_migrate_reference");
    try (Connection c = connect(url)) {
      Migrator.Result first = migrator(SourceMode.NOTIFY).migrate(c, false);
      assertThat(first.modeChanges()).contains("recorded source mode notify");
      assertNotifyMode(c);
      writeEveryTable(c);

      Migrator.Result toWal = migrator(SourceMode.WAL).migrate(c, false);
      assertThat(toWal.applied()).isEmpty();
      assertThat(toWal.modeChanges()).contains("recorded source mode wal")
          .anyMatch(l -> l.startsWith("created publication pgbridge"));
      assertWalMode(c);
      // the reference children have a primary key (id): the index (session_id, id) is added
      for (String child : CHILDREN) {
        assertThat(replicaIdentity(c, child)).as(child).containsExactly("session_id", "id");
      }
      if (columnLists(c)) {
        assertThat(publishedColumns(c)).containsExactly(
            "generation_notes:{id,session_id}", "generation_sessions:{id,state_version}",
            "generation_todos:{id,session_id}", "generation_tool_calls:{id,session_id}");
      } else {
        assertThat(publishedColumns(c)).hasSize(4).allMatch(t -> !t.contains("{"));
      }
      writeEveryTable(c);
      assertChildDeleteCarriesSessionId(c, "generation_todos");

      String before = fingerprint(c);
      Migrator.Result again = migrator(SourceMode.WAL).migrate(c, false);
      assertThat(again.applied()).isEmpty();
      assertThat(again.modeChanges()).as("a second run changes nothing").isEmpty();
      assertThat(fingerprint(c)).isEqualTo(before);

      Migrator.Result back = migrator(SourceMode.NOTIFY).migrate(c, false);
      assertThat(back.modeChanges()).contains("recorded source mode notify",
          "dropped publication pgbridge");
      assertNotifyMode(c);
      for (String child : CHILDREN) {
        assertThat(replicaIdentity(c, child)).as(child).containsExactly("id");
        assertThat(count(c, "SELECT count(*) FROM pg_indexes WHERE indexname = '" + child
            + "_pgbridge_ri'")).isZero();
      }
      writeEveryTable(c);
      String notifyState = fingerprint(c);
      assertThat(migrator(SourceMode.NOTIFY).migrate(c, false).modeChanges()).isEmpty();
      assertThat(fingerprint(c)).isEqualTo(notifyState);
    }
  }

  @Test
  void partitionedTablesAndCompositeKeysGetAReplicaIdentityWithSessionIdOnEveryLeaf()
      throws Exception {
    String url = TestInfra.createDatabase("wal_migrate_partitioned");
    try (Connection c = connect(url)) {
      try (Statement st = c.createStatement()) {
        st.execute(PARTITIONED_SCHEMA);
      }
      migrator(SourceMode.NOTIFY).migrate(c, true);
      writeEveryTable(c);

      migrator(SourceMode.WAL).migrate(c, true);
      assertWalMode(c);
      // the todos' primary key (id, session_id) already carries session_id: left alone
      for (String leaf : List.of("generation_todos_p0", "generation_todos_p1")) {
        assertThat(replicaIdentity(c, leaf)).as(leaf).containsExactly("id", "session_id");
      }
      assertThat(count(c, "SELECT count(*) FROM pg_indexes"
          + " WHERE indexname = 'generation_todos_pgbridge_ri'")).isZero();
      // session_id + the primary key, on the parent and each leaf
      for (String rel : List.of("generation_tool_calls", "generation_tool_calls_old",
          "generation_tool_calls_new")) {
        assertThat(replicaIdentity(c, rel)).as(rel)
            .containsExactly("session_id", "id", "started_at");
      }
      assertThat(replicaIdentity(c, "generation_notes"))
          .containsExactly("session_id", "id", "kind");
      if (columnLists(c)) {
        assertThat(publishedColumns(c)).containsExactly(
            "generation_notes:{id,session_id,kind}", "generation_sessions:{id,state_version}",
            "generation_todos:{id,session_id}", "generation_tool_calls:{id,session_id,started_at}");
      }
      writeEveryTable(c);
      assertChildDeleteCarriesSessionId(c, "generation_tool_calls");
      assertChildDeleteCarriesSessionId(c, "generation_notes");

      // a partition attached later gets the TRUNCATE trigger and the replica identity on the
      // next run, and its rows can be updated at once
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE generation_tool_calls_future (LIKE generation_tool_calls)");
        st.execute("ALTER TABLE generation_tool_calls DETACH PARTITION generation_tool_calls_new");
        st.execute("ALTER TABLE generation_tool_calls ATTACH PARTITION"
            + " generation_tool_calls_new FOR VALUES FROM ('2026-01-01') TO ('2100-01-01')");
        st.execute("ALTER TABLE generation_tool_calls ATTACH PARTITION"
            + " generation_tool_calls_future FOR VALUES FROM ('2100-01-01') TO (MAXVALUE)");
      }
      Migrator.Result rerun = migrator(SourceMode.WAL).migrate(c, true);
      assertThat(rerun.modeChanges()).anyMatch(l -> l.contains("generation_tool_calls_future"));
      assertThat(replicaIdentity(c, "generation_tool_calls_future"))
          .containsExactly("session_id", "id", "started_at");
      writeEveryTable(c);
      assertThat(migrator(SourceMode.WAL).migrate(c, true).modeChanges()).isEmpty();

      migrator(SourceMode.NOTIFY).migrate(c, true);
      assertNotifyMode(c);
      for (String rel : List.of("generation_tool_calls_old", "generation_tool_calls_new",
          "generation_tool_calls_future")) {
        assertThat(replicaIdentity(c, rel)).as(rel).containsExactly("id", "started_at");
      }
      writeEveryTable(c);
    }
  }

  @Test
  void aTableWithReplicaIdentityFullIsPublishedWithoutAColumnList() throws Exception {
    String url = TestInfra.createDatabase("wal_migrate_full");
    try (Connection c = connect(url)) {
      migrator(SourceMode.NOTIFY).migrate(c, false);
      try (Statement st = c.createStatement()) {
        st.execute("ALTER TABLE generation_notes REPLICA IDENTITY FULL");
      }
      migrator(SourceMode.WAL).migrate(c, false);
      assertThat(publishedColumns(c)).contains("generation_notes");
      assertThat(replicaIdentity(c, "generation_notes")).contains("session_id", "body");
      writeEveryTable(c);
      assertThat(migrator(SourceMode.WAL).migrate(c, false).modeChanges()).isEmpty();
    }
  }

  @Test
  void leavingWalDropsTheRecordedSlotWhenInactiveAndRefusesWhileItStreams() throws Exception {
    String url = TestInfra.createDatabase("wal_migrate_slot");
    String slot = "pgbridge_walmigrate_" + UUID.randomUUID().toString().substring(0, 8);
    try (Connection c = connect(url)) {
      migrator(SourceMode.WAL).migrate(c, false);
      try (Statement st = c.createStatement()) {
        st.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
        st.execute("INSERT INTO pgbridge_checkpoint (bridge_id, snapshot, wal_slot,"
            + " wal_catchup_from) VALUES ('walmig', pg_current_snapshot(), '" + slot + "',"
            + " 'all')");
      }
      try (Connection replication = replicationConnection(url);
          PGReplicationStream stream = replication.unwrap(PGConnection.class)
              .getReplicationAPI().replicationStream().logical().withSlotName(slot)
              .withSlotOption("proto_version", "1")
              .withSlotOption("publication_names", "pgbridge").start()) {
        awaitSlotActive(c, slot, true);
        String before = fingerprint(c);
        SQLException refused = catchThrowableOfType(SQLException.class,
            () -> migrator(SourceMode.NOTIFY).migrate(c, false));
        assertThat((Throwable) refused).as("refused").isNotNull();
        assertThat(refused.getSQLState()).isEqualTo("55006");
        assertThat(refused.getMessage()).contains(slot).contains("is active")
            .contains("pgbridge migrate --source-mode notify").contains("nothing was changed");
        assertThat(fingerprint(c)).isEqualTo(before);
        assertThat(RecordedMode.read(c, "public").mode()).isEqualTo(SourceMode.WAL);
        assertThat(count(c, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '"
            + slot + "'")).isEqualTo(1);
        assertThat(stream.isClosed()).isFalse();
      }
      awaitSlotActive(c, slot, false);

      Migrator.Result result = migrator(SourceMode.NOTIFY).migrate(c, false);
      assertThat(result.modeChanges()).contains("dropped replication slot " + slot
          + " (recorded by a bridge in source.mode=wal)");
      assertThat(count(c, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '"
          + slot + "'")).isZero();
      assertNotifyMode(c);
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT wal_slot,"
          + " wal_catchup_from, snapshot::text FROM pgbridge_checkpoint")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isNull();
        assertThat(rs.getString(2)).isNull();
        // the catch-up of every session the WAL bridge still owed is the notify bridge's now
        assertThat(rs.getString(3)).isEqualTo("1:1:");
      }
    }
  }

  @Test
  void walModeRefusesAChildWhoseSessionIdMayBeNullAndChangesNothing() throws Exception {
    String url = TestInfra.createDatabase("wal_migrate_nullable");
    try (Connection c = connect(url)) {
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE generation_sessions (id uuid PRIMARY KEY, project_id uuid,"
            + " raw_state jsonb, updated_at timestamptz DEFAULT now())");
        for (String child : CHILDREN) {
          st.execute("CREATE TABLE " + child + " (id bigserial PRIMARY KEY, session_id uuid"
              + " REFERENCES generation_sessions(id))");
        }
      }
      migrator(SourceMode.NOTIFY).migrate(c, true);
      String before = fingerprint(c);
      SQLException refused = catchThrowableOfType(SQLException.class,
          () -> migrator(SourceMode.WAL).migrate(c, true));
      assertThat((Throwable) refused).as("refused").isNotNull();
      assertThat(refused.getMessage()).contains("session_id")
          .contains("must be NOT NULL for source.mode=wal")
          .contains("ALTER COLUMN session_id SET NOT NULL");
      assertThat(fingerprint(c)).isEqualTo(before);
      assertThat(RecordedMode.read(c, "public").mode()).isEqualTo(SourceMode.NOTIFY);
    }
  }

  @Test
  void printedWalScriptLeavesWhatMigrateWouldAndMigrateThenChangesNothing() throws Exception {
    String url = TestInfra.createDatabase("wal_migrate_print");
    try (Connection c = connect(url)) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute(MigrationScript.render(migrator(SourceMode.WAL), false));
      }
      c.commit();
      c.setAutoCommit(true);
      assertWalMode(c);
      Migrator.Result result = migrator(SourceMode.WAL).migrate(c, false);
      assertThat(result.applied()).isEmpty();
      assertThat(result.modeChanges()).isEmpty();
    }
  }

  @Test
  void databasesMigratedBeforeModesReadAsNotify() throws Exception {
    String url = TestInfra.createDatabase("wal_migrate_recorded");
    try (Connection c = connect(url)) {
      assertThat(RecordedMode.read(c, "public")).isEqualTo(new RecordedMode(SourceMode.NOTIFY,
          null));
      migrator(SourceMode.WAL).migrate(c, false);
      RecordedMode wal = RecordedMode.read(c, "public");
      assertThat(wal).isEqualTo(new RecordedMode(SourceMode.WAL, "pgbridge"));
      assertThat(wal.mismatch(SourceMode.WAL)).isNull();
      assertThat(wal.mismatch(SourceMode.NOTIFY))
          .contains("pgbridge migrate --source-mode notify");
      try (Statement st = c.createStatement()) {
        st.execute("DELETE FROM pgbridge_source_mode");
      }
      assertThat(RecordedMode.read(c, "public").mode()).isEqualTo(SourceMode.NOTIFY);
    }
  }

  // --- what each mode leaves ----------------------------------------------------------------

  private static void assertNotifyMode(Connection c) throws SQLException {
    assertThat(RecordedMode.read(c, "public")).isEqualTo(new RecordedMode(SourceMode.NOTIFY,
        null));
    assertThat(count(c, "SELECT count(*) FROM pg_publication")).isZero();
    for (String table : allTables()) {
      assertThat(triggers(c, table)).as(table).contains("pgbridge_notify")
          .doesNotContain("pgbridge_deletion_log");
    }
    assertThat(triggers(c, "generation_sessions")).contains("pgbridge_version",
        "pgbridge_truncate");
    assertThat(truncateFunctions(c)).containsOnly("pgbridge_truncate_sessions");
  }

  private static void assertWalMode(Connection c) throws SQLException {
    assertThat(RecordedMode.read(c, "public")).isEqualTo(new RecordedMode(SourceMode.WAL,
        "pgbridge"));
    assertThat(count(c, "SELECT count(*) FROM pg_trigger g JOIN pg_proc p ON p.oid = g.tgfoid"
        + " WHERE p.prosrc LIKE '%pg_notify%'")).as("no trigger calls pg_notify").isZero();
    for (String table : allTables()) {
      assertThat(triggers(c, table)).as(table).doesNotContain("pgbridge_notify");
    }
    assertThat(triggers(c, "generation_sessions")).contains("pgbridge_version",
        "pgbridge_deletion_log", "pgbridge_truncate");
    assertThat(truncateFunctions(c)).containsOnly("pgbridge_truncate_sessions_wal");
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pubinsert"
        + " AND pubupdate AND pubdelete AND pubtruncate AND pubviaroot FROM pg_publication"
        + " WHERE pubname = 'pgbridge'")) {
      assertThat(rs.next()).as("publication pgbridge exists").isTrue();
      assertThat(rs.getBoolean(1)).isTrue();
    }
    for (String child : CHILDREN) {
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
          "SELECT t.relid::text FROM public.pgbridge_relations('" + child + "') t"
              + " WHERE t.isleaf")) {
        while (rs.next()) {
          assertThat(replicaIdentity(c, rs.getString(1))).as(rs.getString(1))
              .contains("session_id");
        }
      }
    }
  }

  private static List<String> allTables() {
    List<String> tables = new ArrayList<>(CHILDREN);
    tables.add("generation_sessions");
    return tables;
  }

  /** The pgbridge triggers defined on {@code table} itself (not clones on partitions). */
  private static List<String> triggers(Connection c, String table) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT tgname FROM pg_trigger"
        + " WHERE tgrelid = ?::regclass AND tgname LIKE 'pgbridge%' AND tgparentid = 0"
        + " ORDER BY 1")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  /** The functions of the TRUNCATE triggers of the sessions table and every partition. */
  private static List<String> truncateFunctions(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT"
        + " p.proname, count(*) FROM public.pgbridge_relations('generation_sessions') t"
        + " LEFT JOIN pg_trigger g ON g.tgrelid = t.relid AND g.tgname = 'pgbridge_truncate'"
        + " LEFT JOIN pg_proc p ON p.oid = g.tgfoid GROUP BY 1")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  private static List<String> replicaIdentity(Connection c, String table) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT public.pgbridge_replica_identity_columns(?::regclass)")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        List<String> cols = new ArrayList<>(List.of((String[]) rs.getArray(1).getArray()));
        // the function orders by column number; the index order is what a test names
        try (PreparedStatement idx = c.prepareStatement("SELECT array_agg(a.attname::text"
            + " ORDER BY k.n) FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[])"
            + " WITH ORDINALITY AS k(attnum, n) JOIN pg_attribute a ON a.attrelid = i.indrelid"
            + " AND a.attnum = k.attnum JOIN pg_class t ON t.oid = i.indrelid"
            + " WHERE i.indrelid = ?::regclass AND (i.indisreplident"
            + " OR (t.relreplident = 'd' AND i.indisprimary))")) {
          idx.setString(1, table);
          try (ResultSet r = idx.executeQuery()) {
            if (r.next() && r.getArray(1) != null) {
              return List.of((String[]) r.getArray(1).getArray());
            }
          }
        }
        return cols;
      }
    }
  }

  private static boolean columnLists(Connection c) throws SQLException {
    return count(c, "SELECT current_setting('server_version_num')::int") >= 150000;
  }

  /** {@code table:{columns}} per published table, or the table alone without a column list. */
  private static List<String> publishedColumns(Connection c) throws SQLException {
    String sql = columnLists(c)
        ? "SELECT tablename || CASE WHEN t.prattrs IS NULL THEN '' ELSE ':' || attnames::text END"
            + " FROM pg_publication_tables pt JOIN pg_publication p ON p.pubname = pt.pubname"
            + " JOIN pg_publication_rel t ON t.prpubid = p.oid"
            + " AND t.prrelid = format('%I.%I', pt.schemaname, pt.tablename)::regclass"
            + " WHERE pt.pubname = 'pgbridge' ORDER BY 1"
        : "SELECT tablename FROM pg_publication_tables WHERE pubname = 'pgbridge' ORDER BY 1";
    List<String> out = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /**
   * The old key of a child's DELETE in the WAL (decoded with test_decoding, which shows the
   * replica identity columns) names the session, so the WAL source can mark it.
   */
  private static void assertChildDeleteCarriesSessionId(Connection c, String child)
      throws SQLException {
    String slot = "walmig_peek_" + UUID.randomUUID().toString().substring(0, 8);
    try (Statement st = c.createStatement()) {
      st.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'test_decoding')");
      try {
        UUID session = UUID.randomUUID();
        st.execute("INSERT INTO generation_sessions (id, project_id, raw_state) VALUES ('"
            + session + "', gen_random_uuid(), '{}')");
        st.execute(insertChild(child, session));
        st.execute("DELETE FROM " + child + " WHERE session_id = '" + session + "'");
        List<String> deletes = new ArrayList<>();
        try (ResultSet rs = st.executeQuery("SELECT data FROM pg_logical_slot_get_changes('"
            + slot + "', NULL, NULL) WHERE data LIKE '%DELETE%'")) {
          while (rs.next()) {
            deletes.add(rs.getString(1));
          }
        }
        assertThat(deletes).as(child).isNotEmpty()
            .allMatch(d -> d.contains("session_id[uuid]:'" + session + "'"));
      } finally {
        st.execute("SELECT pg_drop_replication_slot('" + slot + "')");
      }
    }
  }

  private static String insertChild(String child, UUID session) {
    return switch (child) {
      case "generation_todos" -> "INSERT INTO generation_todos (session_id, content)"
          + " VALUES ('" + session + "', 'todo')";
      case "generation_tool_calls" -> "INSERT INTO generation_tool_calls (session_id, tool_name)"
          + " VALUES ('" + session + "', 'search')";
      default -> "INSERT INTO generation_notes (session_id, body) VALUES ('" + session
          + "', 'note')";
    };
  }

  /**
   * The application's writes: insert, update, a row moved between partitions (where the
   * tables are partitioned), delete on every table, and TRUNCATE. Each statement must succeed.
   */
  private static void writeEveryTable(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      List<UUID> ids = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        UUID id = UUID.randomUUID();
        ids.add(id);
        st.execute("INSERT INTO generation_sessions (id, project_id, raw_state) VALUES ('" + id
            + "', gen_random_uuid(), '{\"n\":" + i + "}')");
        for (String child : CHILDREN) {
          st.execute(insertChild(child, id));
        }
      }
      st.execute("UPDATE generation_sessions SET raw_state = '{\"updated\":true}'");
      st.execute("UPDATE generation_todos SET content = 'changed'");
      st.execute("UPDATE generation_tool_calls SET tool_name = 'changed'");
      st.execute("UPDATE generation_notes SET body = 'changed'");
      // moves a tool call between range partitions where they are partitioned that way
      st.execute("UPDATE generation_tool_calls SET started_at = '2025-06-01'"
          + " WHERE session_id = '" + ids.get(0) + "'");
      // the session's id changes (and with hash partitions, its partition)
      st.execute("DELETE FROM generation_todos WHERE session_id = '" + ids.get(1) + "'");
      st.execute("DELETE FROM generation_tool_calls WHERE session_id = '" + ids.get(1) + "'");
      st.execute("DELETE FROM generation_notes WHERE session_id = '" + ids.get(1) + "'");
      st.execute("UPDATE generation_sessions SET id = gen_random_uuid() WHERE id = '"
          + ids.get(1) + "'");
      st.execute("DELETE FROM generation_notes WHERE session_id = '" + ids.get(2) + "'");
      st.execute("DELETE FROM generation_sessions WHERE id = '" + ids.get(2) + "'");
      long logged = count(c, "SELECT count(*) FROM pgbridge_deleted_sessions WHERE session_id"
          + " IN ('" + ids.get(1) + "', '" + ids.get(2) + "')");
      assertThat(logged).as("deletion log: id change and delete").isEqualTo(2);
      long before = count(c, "SELECT count(*) FROM pgbridge_deleted_sessions");
      long sessions = count(c, "SELECT count(*) FROM generation_sessions");
      st.execute("TRUNCATE generation_sessions CASCADE");
      assertThat(count(c, "SELECT count(*) FROM pgbridge_deleted_sessions"))
          .as("TRUNCATE logs every session").isEqualTo(before + sessions);
    }
  }

  private static String fingerprint(Connection c) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT 'trg ' || g.tgrelid::regclass || ' ' || pg_get_triggerdef(g.oid)"
            + " FROM pg_trigger g WHERE NOT g.tgisinternal"
            + " UNION ALL SELECT 'idx ' || indexname || ' ' || indexdef FROM pg_indexes"
            + " WHERE schemaname = 'public'"
            + " UNION ALL SELECT 'ri ' || oid::regclass || ' ' || relreplident::text"
            + " FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')"
            + " UNION ALL SELECT 'pub ' || pubname || ' ' || pubviaroot FROM pg_publication"
            + " UNION ALL SELECT 'pubrel ' || prrelid::regclass FROM pg_publication_rel"
            + " UNION ALL SELECT 'mode ' || mode || ' ' || coalesce(publication, '') || ' '"
            + " || changed_at FROM pgbridge_source_mode"
            + " ORDER BY 1")) {
      while (rs.next()) {
        rows.add(rs.getString(1));
      }
    }
    return String.join("\n", rows);
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void awaitSlotActive(Connection c, String slot, boolean active)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (count(c, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot
        + "' AND active = " + active) == 0) {
      assertThat(System.nanoTime()).as("slot %s active=%s", slot, active).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static Connection connect(String url) throws SQLException {
    TestInfra.Postgres pg = TestInfra.postgres();
    return DriverManager.getConnection(url, pg.user(), pg.password());
  }

  private static Connection replicationConnection(String url) throws SQLException {
    TestInfra.Postgres pg = TestInfra.postgres();
    Properties p = new Properties();
    PGProperty.USER.set(p, pg.user());
    PGProperty.PASSWORD.set(p, pg.password());
    PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
    PGProperty.REPLICATION.set(p, "database");
    PGProperty.PREFER_QUERY_MODE.set(p, "simple");
    return DriverManager.getConnection(url, p);
  }
}
