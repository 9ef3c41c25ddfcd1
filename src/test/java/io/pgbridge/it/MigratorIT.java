package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.migrate.Migrator;
import io.pgbridge.testing.TestInfra;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The SQL migrations: idempotent, and the bridge's objects fit an existing schema. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MigratorIT {

  private static Connection connect(String url) throws Exception {
    TestInfra.Postgres pg = TestInfra.postgres();
    return DriverManager.getConnection(url, pg.user(), pg.password());
  }

  @Test
  void applyingTwiceChangesNothing() throws Exception {
    String url = TestInfra.createDatabase("migrate_twice");
    Migrator m = new Migrator("public", "generation_sessions", "generation_updates");
    try (Connection c = connect(url)) {
      assertThat(m.migrate(c, false).applied()).hasSize(Migrator.bundled().size());
      String before = schemaFingerprint(c);
      assertThat(m.migrate(c, false).applied()).isEmpty();
      assertThat(schemaFingerprint(c)).isEqualTo(before);
      // the files themselves are also safe to run again by hand
      for (Migrator.Migration mig : Migrator.bundled()) {
        try (Statement st = c.createStatement()) {
          st.execute(m.substitute(mig.sql()));
        }
      }
      assertThat(schemaFingerprint(c)).isEqualTo(before);
    }
  }

  @Test
  void bridgeObjectsApplyToAnExistingApplicationSchema() throws Exception {
    String url = TestInfra.createDatabase("migrate_existing");
    try (Connection c = connect(url); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE generation_sessions (id uuid PRIMARY KEY, project_id uuid,"
          + " raw_state jsonb, updated_at timestamptz DEFAULT now(), title text)");
      for (String child : List.of("generation_todos", "generation_tool_calls",
          "generation_notes")) {
        st.execute("CREATE TABLE " + child + " (id bigserial PRIMARY KEY, session_id uuid"
            + " REFERENCES generation_sessions(id), payload text)");
      }
      st.execute("INSERT INTO generation_sessions (id, project_id, raw_state)"
          + " VALUES (gen_random_uuid(), gen_random_uuid(), '{\"old\":true}')");
      Migrator m = new Migrator("public", "generation_sessions", "generation_updates");
      assertThat(m.migrate(c, true).applied())
          .containsExactly("V002__bridge_objects.sql", "V003__child_notify_switch.sql",
              "V004__recreation_and_truncate.sql", "V010__republish_requests.sql");
      st.execute("LISTEN generation_updates");
      st.execute("UPDATE generation_sessions SET raw_state = '{\"old\":false}'");
      try (ResultSet rs = st.executeQuery("SELECT state_version, last_txid IS NOT NULL"
          + " FROM generation_sessions")) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(1);
        assertThat(rs.getBoolean(2)).isTrue();
      }
      var notifications = c.unwrap(org.postgresql.PGConnection.class).getNotifications(5000);
      assertThat(notifications).isNotNull();
      assertThat(notifications[0].getParameter()).contains("\"op\":\"UPDATE\"");
      assertThat(notifications[0].getParameter()).doesNotContain("timestamp");
    }
  }

  @Test
  void identicalNotificationsOfOneTransactionAreFolded() throws Exception {
    String url = TestInfra.createDatabase("migrate_fold");
    try (Connection c = connect(url); Statement st = c.createStatement()) {
      new Migrator("public", "generation_sessions", "generation_updates").migrate(c, false);
      st.execute("INSERT INTO generation_sessions (id, project_id) VALUES"
          + " ('00000000-0000-0000-0000-000000000001', gen_random_uuid())");
      st.execute("LISTEN generation_updates");
      c.setAutoCommit(false);
      for (int i = 0; i < 20; i++) {
        st.execute("INSERT INTO generation_todos (session_id, content) VALUES"
            + " ('00000000-0000-0000-0000-000000000001', 'todo " + i + "')");
      }
      c.commit();
      c.setAutoCommit(true);
      var notifications = c.unwrap(org.postgresql.PGConnection.class).getNotifications(5000);
      assertThat(notifications).hasSize(1);
    }
  }

  @Test
  void childNotificationsCanBeSwitchedOffWhileSessionWritesStillNotify() throws Exception {
    String url = TestInfra.createDatabase("migrate_children_off");
    try (Connection c = connect(url); Statement st = c.createStatement()) {
      new Migrator("public", "generation_sessions", "generation_updates").migrate(c, false);
      st.execute("INSERT INTO generation_sessions (id, project_id) VALUES"
          + " ('00000000-0000-0000-0000-000000000002', gen_random_uuid())");
      st.execute("LISTEN generation_updates");
      st.execute("SET pgbridge.notify_children = off");
      st.execute("INSERT INTO generation_todos (session_id, content) VALUES"
          + " ('00000000-0000-0000-0000-000000000002', 'quiet')");
      var pg = c.unwrap(org.postgresql.PGConnection.class);
      assertThat(pg.getNotifications(300)).isNullOrEmpty();
      st.execute("UPDATE generation_sessions SET raw_state = '{}'"
          + " WHERE id = '00000000-0000-0000-0000-000000000002'");
      var notifications = pg.getNotifications(5000);
      assertThat(notifications).hasSize(1);
      assertThat(notifications[0].getParameter()).contains("\"table\":\"generation_sessions\"");
      st.execute("RESET pgbridge.notify_children");
      st.execute("INSERT INTO generation_todos (session_id, content) VALUES"
          + " ('00000000-0000-0000-0000-000000000002', 'loud')");
      assertThat(pg.getNotifications(5000)).hasSize(1);
    }
  }

  private static String schemaFingerprint(Connection c) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT 'col ' || table_name || '.' || column_name || ' ' || data_type"
            + " FROM information_schema.columns WHERE table_schema = 'public'"
            + " UNION ALL SELECT 'trg ' || event_object_table || ' ' || trigger_name || ' '"
            + " || event_manipulation FROM information_schema.triggers"
            + " UNION ALL SELECT 'idx ' || indexname FROM pg_indexes WHERE schemaname = 'public'"
            + " ORDER BY 1")) {
      while (rs.next()) {
        rows.add(rs.getString(1));
      }
    }
    return String.join("\n", rows);
  }
}
