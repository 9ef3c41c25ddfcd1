package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.Bridge;
import io.pgbridge.cli.PreflightAccess;
import io.pgbridge.migrate.Migrator;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TestInfra;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
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
 * Three roles, as a careful deployment has them: a migration role that owns the schema and
 * installs pgbridge, an application role with nothing but DML on the four tables, and the
 * bridge's run role with exactly the grants the README lists. The application's writes
 * (inserts, updates, child rows, deletes, a re-created id, TRUNCATE) must all succeed, and the
 * bridge must publish every final state.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PrivilegesIT {

  // one set of roles per database: a role that owns objects elsewhere cannot be dropped
  private static String MIGRATOR;
  private static String APP;
  private static String BRIDGE;
  private static final String SCHEMA = "app";

  /** The run role's grants, as the README's Operations section gives them. */
  static String bridgeGrants(String schema, String sessions, String role) {
    return "GRANT USAGE ON SCHEMA " + schema + " TO " + role + ";"
        + "GRANT SELECT ON " + schema + "." + sessions + " TO " + role + ";"
        + "GRANT SELECT, INSERT, UPDATE ON " + schema + ".pgbridge_checkpoint TO " + role + ";"
        + "GRANT SELECT, DELETE ON " + schema + ".pgbridge_deleted_sessions TO " + role + ";"
        + "GRANT SELECT ON " + schema + ".pgbridge_schema_history TO " + role + ";";
  }

  @Test
  void anApplicationRoleWithOnlyDmlWritesAndABridgeRoleWithTheDocumentedGrantsPublishes()
      throws Exception {
    String url = install("privileges_it");
    BridgeHarness h = BridgeHarness.existing(url, "privileges-it");
    Map<String, String> asBridge = Map.of("database.user", BRIDGE, "database.password", "x",
        "database.schema", SCHEMA);
    assertThat(PreflightAccess.problems(h.settings(asBridge))).isEmpty();
    Bridge bridge = h.startBridge(asBridge);
    try (Connection app = DriverManager.getConnection(url + "?currentSchema=" + SCHEMA, APP,
        "x"); TopicReader reader = h.reader()) {
      List<UUID> ids = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        UUID id = UUID.randomUUID();
        ids.add(id);
        SessionWriter.insert(app, id, UUID.randomUUID(), "{\"i\":" + i + "}");
        SessionWriter.insertTodo(app, id, "todo");
        SessionWriter.updateState(app, id, "{\"i\":" + i + ",\"done\":true}");
      }
      SessionWriter.delete(app, ids.get(0));
      SessionWriter.delete(app, ids.get(1));
      SessionWriter.insert(app, ids.get(1), UUID.randomUUID(), "{\"again\":true}");
      assertThat(FinalStateCheck.await(reader, app, Set.of(ids.get(0)), Duration.ofSeconds(30)))
          .isEmpty();
      assertThat(reader.last(ids.get(0)).tombstone()).isTrue();

      try (Statement st = app.createStatement()) {
        st.execute("TRUNCATE generation_sessions CASCADE");
      }
      assertThat(reader.pollUntil(r -> ids.stream().allMatch(id -> r.last(id).tombstone()),
          Duration.ofSeconds(30))).isTrue();
      assertThat(bridge.failure()).isNull();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (bridge.metrics().checkpoints().count() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(bridge.metrics().checkpoints().count()).as("the run role stores checkpoints")
          .isPositive();
      assertThat(bridge.failure()).isNull();
    } finally {
      bridge.stop();
    }
  }

  @Test
  void aGrantRevokedWhileRunningMakesTheBridgeNotReadyUntilItIsGivenBack() throws Exception {
    String url = install("privileges_revoked");
    BridgeHarness h = BridgeHarness.existing(url, "privileges-revoked");
    Bridge bridge = h.startBridge(Map.of("database.user", BRIDGE, "database.password", "x",
        "database.schema", SCHEMA));
    try (Connection m = DriverManager.getConnection(url, MIGRATOR, "x");
        Connection app = DriverManager.getConnection(url + "?currentSchema=" + SCHEMA, APP, "x");
        Statement st = m.createStatement(); TopicReader reader = h.reader()) {
      IsolationAndRecoveryIT.awaitConnected(bridge);
      awaitReady(bridge, true);
      st.execute("REVOKE SELECT ON " + SCHEMA + ".generation_sessions FROM " + BRIDGE);
      UUID id = UUID.randomUUID();
      SessionWriter.insert(app, id, UUID.randomUUID(), "{\"while\":\"revoked\"}");
      awaitReady(bridge, false);
      assertThat(bridge.state().lastError()).contains("42501").contains("not transient");
      st.execute("GRANT SELECT ON " + SCHEMA + ".generation_sessions TO " + BRIDGE);
      assertThat(FinalStateCheck.await(reader, app, Set.of(), Duration.ofSeconds(30)))
          .isEmpty();
      awaitReady(bridge, true);
    } finally {
      bridge.stop();
    }
  }

  private static void awaitReady(Bridge bridge, boolean ready) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (bridge.ready() != ready) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("ready() did not become " + ready + "; " + bridge.status());
      }
      Thread.sleep(20);
    }
  }

  /**
   * Creates {@code database} with the three roles, the schema installed by the migration
   * role, and the grants of the application and run roles; returns its URL.
   */
  private static String install(String database) throws Exception {
    MIGRATOR = database + "_migrator";
    APP = database + "_app";
    BRIDGE = database + "_bridge";
    String url = TestInfra.createDatabase(database);
    TestInfra.Postgres pg = TestInfra.postgres();
    try (Connection admin = DriverManager.getConnection(url, pg.user(), pg.password());
        Statement st = admin.createStatement()) {
      for (String role : List.of(MIGRATOR, APP, BRIDGE)) {
        st.execute("DROP OWNED BY " + role + " CASCADE");
      }
    } catch (SQLException noRolesYet) {
      // first run on this server
    }
    try (Connection admin = DriverManager.getConnection(url, pg.user(), pg.password());
        Statement st = admin.createStatement()) {
      for (String role : List.of(MIGRATOR, APP, BRIDGE)) {
        st.execute("DROP ROLE IF EXISTS " + role);
        st.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'x' NOSUPERUSER");
      }
      st.execute("GRANT CREATE ON DATABASE " + database + " TO " + MIGRATOR);
    }
    try (Connection m = DriverManager.getConnection(url, MIGRATOR, "x")) {
      new Migrator(SCHEMA, "generation_sessions", "generation_updates").migrate(m, false);
      try (Statement st = m.createStatement()) {
        st.execute("GRANT USAGE ON SCHEMA " + SCHEMA + " TO " + APP);
        for (String t : List.of("generation_sessions", "generation_todos",
            "generation_tool_calls", "generation_notes")) {
          st.execute("GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON " + SCHEMA + "." + t
              + " TO " + APP);
        }
        st.execute(bridgeGrants(SCHEMA, "generation_sessions", BRIDGE));
      }
    }
    return url;
  }
}
