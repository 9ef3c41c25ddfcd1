package io.pgbridge.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.cli.ExitCodes;
import io.pgbridge.cli.Main;
import io.pgbridge.cli.WalChecksAccess;
import io.pgbridge.config.BridgeConfig;
import io.pgbridge.embedded.EmbeddedPostgresServer;
import io.pgbridge.migrate.Migrator;
import io.pgbridge.source.SourceMode;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.TestInfra;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pgbridge check} with {@code source.mode=wal} against real servers: each setup that
 * cannot work is refused with a message that names the fix (a server without
 * {@code wal_level=logical}, one whose slots are all taken, one whose synchronous standby
 * setting the bridge would satisfy, a user without the replication privilege, a missing
 * publication, a column list without the replica identity, pg_notify triggers left behind,
 * failover slots on a server before 17), and a good setup passes, also beside a schema of the
 * same database still in notify mode.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WalPreflightIT {

  /** wal_level=replica and a single slot, which a physical slot takes. */
  private static EmbeddedPostgresServer replicaOnly;
  /** Every commit would wait for a synchronous standby named anything (local commits do not). */
  private static EmbeddedPostgresServer syncStar;

  @TempDir
  Path dir;

  @BeforeAll
  static void startServers() throws IOException {
    replicaOnly = EmbeddedPostgresServer.start(Map.of("wal_level", "replica",
        "max_replication_slots", "1"));
    syncStar = EmbeddedPostgresServer.start(Map.of("synchronous_standby_names", "*",
        "synchronous_commit", "local"));
  }

  @AfterAll
  static void stopServers() {
    if (replicaOnly != null) {
      replicaOnly.close();
    }
    if (syncStar != null) {
      syncStar.close();
    }
  }

  private static TestInfra.Postgres of(EmbeddedPostgresServer server) {
    return new TestInfra.Postgres(server.jdbcUrl(), server.user(), server.password());
  }

  /** A database on {@code server} migrated for source.mode=wal. */
  private static String walDatabase(TestInfra.Postgres server, String name) throws SQLException {
    String url = TestInfra.createDatabase(server, name);
    try (Connection c = connect(server, url)) {
      new Migrator("public", "generation_sessions", "generation_updates", SourceMode.WAL,
          "pgbridge").migrate(c, false);
    }
    return url;
  }

  private static Map<String, String> settings(TestInfra.Postgres server, String url,
      String... extra) {
    Map<String, String> m = new HashMap<>();
    m.put("database.url", url);
    m.put("database.user", server.user());
    m.put("database.password", server.password());
    m.put("kafka.bootstrap.servers", "localhost:9");
    m.put("source.mode", "wal");
    m.put("bridge.id", "walcheck");
    for (int i = 0; i < extra.length; i += 2) {
      m.put(extra[i], extra[i + 1]);
    }
    return m;
  }

  private static List<String> problems(Map<String, String> settings) throws SQLException {
    return WalChecksAccess.databaseChecks(settings).problems();
  }

  @Test
  void aGoodSetupPassesCheckBesideASchemaStillInNotifyMode() throws Exception {
    TestInfra.Postgres pg = TestInfra.postgres();
    String url = walDatabase(pg, "wal_preflight_good");
    try (Connection c = connect(pg, url)) {
      // another schema of the same database, with its own bridge, still notifies
      new Migrator("legacy", "generation_sessions", "legacy_updates").migrate(c, false);
      assertThat(count(c, "SELECT count(*) FROM pg_trigger g JOIN pg_class t"
          + " ON t.oid = g.tgrelid WHERE t.relnamespace = 'legacy'::regnamespace"
          + " AND g.tgname = 'pgbridge_notify'")).isEqualTo(4);
    }
    WalChecksAccess.Found found = WalChecksAccess.databaseChecks(settings(pg, url));
    assertThat(found.problems()).isEmpty();
    assertThat(found.notes()).contains("replication privilege: " + pg.user()
        + " is a superuser");
    assertThat(found.notes()).anyMatch(n -> n.startsWith("replication slot "
        + BridgeConfig.derivedSlotName("walcheck") + ": created at first start ("));
    assertThat(found.notes()).as("WAL senders are counted per instance, standbys too")
        .anyMatch(n -> n.startsWith("WAL senders: ")
            && n.contains("every bridge instance holds one (a standby waiting for the lease"));

    // and the whole `pgbridge check`, with Kafka
    String topic = TestInfra.newTopic("wal-preflight", 1);
    BridgeHarness.createHeartbeatTopic(topic);
    Map<String, String> withKafka = settings(pg, url, "kafka.bootstrap.servers",
        TestInfra.kafkaBootstrap(), "topic", topic, "http.port", "-1");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Main.run(new String[] {"--config", write(withKafka).toString(), "check"},
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
    assertThat(exit).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(ExitCodes.OK);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("source.mode=wal: replication privilege: " + pg.user() + " is a superuser")
        .contains("database: ok");
  }

  @Test
  void aServerWithoutLogicalWalAndWithoutAFreeSlotIsRefused() throws Exception {
    TestInfra.Postgres server = of(replicaOnly);
    String url = walDatabase(server, "wal_preflight_replica");
    try (Connection c = connect(server, url); Statement st = c.createStatement()) {
      st.execute("SELECT pg_create_physical_replication_slot('standby_1')");
    }
    List<String> problems = problems(settings(server, url));
    assertThat(problems).hasSize(2);
    assertThat(problems).anySatisfy(p -> assertThat(p)
        .startsWith("wal_level is 'replica' but source.mode=wal needs 'logical'")
        .contains("wal_level = logical").contains("restart PostgreSQL")
        .contains("source.mode=notify"));
    assertThat(problems).anySatisfy(p -> assertThat(p)
        .startsWith("no free replication slot for " + BridgeConfig.derivedSlotName("walcheck"))
        .contains("max_replication_slots is 1 and 1 slot(s) exist (standby_1)")
        .contains("raise max_replication_slots").contains("pg_drop_replication_slot"));
  }

  @Test
  void aSynchronousStandbySettingTheBridgeWouldMatchIsRefused() throws Exception {
    TestInfra.Postgres server = of(syncStar);
    String url = walDatabase(server, "wal_preflight_sync");
    List<String> problems = problems(settings(server, url));
    assertThat(problems).singleElement().satisfies(p -> assertThat(p)
        .startsWith("synchronous_standby_names = '*' names '*'")
        .contains("every commit would then wait for the bridge")
        .contains("list the standbys by name"));
  }

  @Test
  void aUserWithoutTheReplicationPrivilegeIsRefusedAndAcceptedOnceItHasIt() throws Exception {
    TestInfra.Postgres pg = TestInfra.postgres();
    String url = walDatabase(pg, "wal_preflight_role");
    String role = "walcheck_" + UUID.randomUUID().toString().substring(0, 8);
    try (Connection c = connect(pg, url); Statement st = c.createStatement()) {
      st.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'x'");
      st.execute("GRANT USAGE ON SCHEMA public TO " + role);
      st.execute("GRANT SELECT ON generation_sessions TO " + role);
      st.execute("GRANT SELECT, INSERT, UPDATE ON pgbridge_checkpoint TO " + role);
      st.execute("GRANT SELECT, DELETE ON pgbridge_deleted_sessions TO " + role);
      st.execute("GRANT SELECT ON pgbridge_schema_history TO " + role);
      try {
        Map<String, String> asRole = settings(pg, url, "database.user", role,
            "database.password", "x");
        assertThat(problems(asRole)).singleElement().satisfies(p -> assertThat(p)
            .startsWith("database.user " + role + " may not use logical replication")
            .contains("ALTER ROLE \"" + role + "\" WITH REPLICATION")
            .contains("GRANT rds_replication"));

        st.execute("ALTER ROLE " + role + " WITH REPLICATION");
        WalChecksAccess.Found found = WalChecksAccess.databaseChecks(asRole);
        assertThat(found.problems()).isEmpty();
        assertThat(found.notes()).contains("replication privilege: " + role
            + " has the REPLICATION attribute");
      } finally {
        st.execute("DROP OWNED BY " + role);
        st.execute("DROP ROLE " + role);
      }
    }
  }

  @Test
  void aMissingOrOtherPublicationIsRefused() throws Exception {
    TestInfra.Postgres pg = TestInfra.postgres();
    String url = walDatabase(pg, "wal_preflight_publication");
    assertThat(problems(settings(pg, url, "wal.publication.name", "other")))
        .anySatisfy(p -> assertThat(p).contains("migrated with publication 'pgbridge' but"
            + " wal.publication.name is 'other'").contains("pgbridge migrate --source-mode wal"))
        .anySatisfy(p -> assertThat(p).isEqualTo("publication other does not exist: run"
            + " `pgbridge migrate --source-mode wal` (wal.publication.name=other)"));
    try (Connection c = connect(pg, url); Statement st = c.createStatement()) {
      st.execute("DROP PUBLICATION pgbridge");
    }
    assertThat(problems(settings(pg, url))).containsExactly("publication pgbridge does not"
        + " exist: run `pgbridge migrate --source-mode wal` (wal.publication.name=pgbridge)");
  }

  @Test
  void aPublicationOfOtherTablesOrColumnsIsRefused() throws Exception {
    TestInfra.Postgres pg = TestInfra.postgres();
    String url = walDatabase(pg, "wal_preflight_columns");
    try (Connection c = connect(pg, url); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE audit (id int PRIMARY KEY)");
      if (serverVersion(c) >= 150000) {
        st.execute("ALTER PUBLICATION pgbridge SET TABLE generation_sessions (id, state_version),"
            + " generation_todos (id), generation_tool_calls (id, session_id), audit,"
            + " generation_notes (session_id)");
      } else {
        st.execute("ALTER PUBLICATION pgbridge SET TABLE generation_sessions, generation_todos,"
            + " generation_tool_calls, audit");
      }
    }
    List<String> problems = problems(settings(pg, url));
    assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("publication pgbridge must"
        + " publish exactly").contains("also publishes [\"public\".\"audit\"]")
        .contains("pgbridge migrate --source-mode wal"));
    try (Connection c = connect(pg, url)) {
      Assumptions.assumeTrue(serverVersion(c) >= 150000, "column lists are PostgreSQL 15+");
    }
    assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("the column list of"
        + " \"public\".\"generation_todos\" in publication pgbridge lacks [session_id]")
        .contains("refuses every UPDATE and DELETE").contains("pgbridge migrate"));
    // the notes' replica identity is (session_id, id): id is missing from its list
    assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("the column list of"
        + " \"public\".\"generation_notes\" in publication pgbridge lacks [id]"));
    assertThat(problems).noneMatch(p -> p.contains("generation_tool_calls\" in"));
  }

  @Test
  void aChildReplicaIdentityWithoutSessionIdIsRefused() throws Exception {
    TestInfra.Postgres pg = TestInfra.postgres();
    String url = walDatabase(pg, "wal_preflight_identity");
    try (Connection c = connect(pg, url); Statement st = c.createStatement()) {
      st.execute("ALTER TABLE generation_todos REPLICA IDENTITY DEFAULT");
    }
    assertThat(problems(settings(pg, url))).singleElement().satisfies(p -> assertThat(p)
        .startsWith("the replica identity of generation_todos lacks session_id")
        .contains("pgbridge migrate --source-mode wal"));
  }

  @Test
  void notifyTriggersInTheConfiguredSchemaAndTheRecordedModeAreChecked() throws Exception {
    TestInfra.Postgres pg = TestInfra.postgres();
    String url = TestInfra.createDatabase(pg, "wal_preflight_notify");
    try (Connection c = connect(pg, url)) {
      new Migrator("public", "generation_sessions", "generation_updates").migrate(c, false);
    }
    List<String> problems = problems(settings(pg, url));
    assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("the database is migrated"
        + " for source.mode=notify but this bridge has source.mode=wal")
        .contains("`pgbridge migrate --source-mode wal`"));
    assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("pgbridge_notify triggers"
        + " (source.mode=notify) are still on [generation_notes, generation_sessions,"
        + " generation_todos, generation_tool_calls]"));

    // and the other way round: a notify bridge on a database in wal mode
    try (Connection c = connect(pg, url)) {
      new Migrator("public", "generation_sessions", "generation_updates", SourceMode.WAL,
          "pgbridge").migrate(c, false);
    }
    assertThat(problems(settings(pg, url, "source.mode", "notify"))).singleElement()
        .satisfies(p -> assertThat(p).startsWith("the database is migrated for"
            + " source.mode=wal but this bridge has source.mode=notify")
            .contains("`pgbridge migrate --source-mode notify`"));
    assertThat(problems(settings(pg, url))).isEmpty();
  }

  @Test
  void aSlotRecordedByAnotherBridgeIdIsRefused() throws Exception {
    TestInfra.Postgres pg = TestInfra.postgres();
    String url = walDatabase(pg, "wal_preflight_shared_slot");
    try (Connection c = connect(pg, url); Statement st = c.createStatement()) {
      st.execute("INSERT INTO pgbridge_checkpoint (bridge_id, snapshot, wal_slot)"
          + " VALUES ('orders', pg_current_snapshot(), 'shared_slot')");
    }
    assertThat(problems(settings(pg, url, "wal.slot.name", "shared_slot"))).singleElement()
        .satisfies(p -> assertThat(p).startsWith("replication slot shared_slot is recorded by"
            + " bridge.id 'orders'").contains("set wal.slot.name"));
    assertThat(problems(settings(pg, url))).isEmpty();
  }

  @Test
  void failoverSlotsNeedPostgres17() throws Exception {
    TestInfra.Postgres pg = TestInfra.postgres();
    String url = walDatabase(pg, "wal_preflight_failover");
    int version;
    try (Connection c = connect(pg, url)) {
      version = serverVersion(c);
    }
    WalChecksAccess.Found found = WalChecksAccess.databaseChecks(settings(pg, url,
        "wal.slot.failover", "true"));
    if (version < 170000) {
      assertThat(found.problems()).containsExactly("wal.slot.failover=true needs PostgreSQL 17"
          + " or later (failover slots); this server is " + version / 10000 + ": set"
          + " wal.slot.failover=false (see \"PostgreSQL 17 failover slots\" in the README)");
    } else {
      assertThat(found.problems()).isEmpty();
      assertThat(found.warnings()).anySatisfy(w -> assertThat(w)
          .startsWith("wal.slot.failover=true but synchronized_standby_slots is empty"));
    }
  }

  // --- helpers -------------------------------------------------------------------------------

  private Path write(Map<String, String> settings) throws IOException {
    Properties p = new Properties();
    p.putAll(settings);
    Path file = dir.resolve("wal-check-" + UUID.randomUUID() + ".properties");
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      p.store(w, null);
    }
    return file;
  }

  private static Connection connect(TestInfra.Postgres server, String url) throws SQLException {
    return new TestInfra.Postgres(url, server.user(), server.password()).connect();
  }

  private static int serverVersion(Connection c) throws SQLException {
    return (int) count(c, "SELECT current_setting('server_version_num')::int");
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
