package io.pgbridge.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgbridge.connection.SqlErrors;
import io.pgbridge.embedded.EmbeddedPostgresServer;
import io.pgbridge.testing.TestInfra;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A replication connection whose application name (the slot name) synchronous_standby_names
 * matches is a synchronous standby: every commit then waits for the bridge, while the bridge
 * waits for the commit to become visible. On a PostgreSQL of its own (the setting is
 * server-wide): the bridge refuses to start streaming, and gives up (fatal) as soon as a
 * committed transaction stays invisible because of it, without waiting for the next probe.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SyncStandbyWarningIT {

  private static EmbeddedPostgresServer server;
  private static TestInfra.Postgres postgres;

  @BeforeAll
  static void startServer() throws Exception {
    server = EmbeddedPostgresServer.start();
    postgres = new TestInfra.Postgres(server.jdbcUrl(), server.user(), server.password());
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  private static void standbyNames(String value) throws Exception {
    try (Connection c = postgres.connect(); Statement st = c.createStatement()) {
      st.execute("ALTER SYSTEM SET synchronous_standby_names = '" + value + "'");
      st.execute("SELECT pg_reload_conf()");
    }
  }

  private static String syncState(WalFixture f) throws Exception {
    try (Connection c = f.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT sync_state FROM pg_stat_replication"
            + " WHERE application_name = '" + f.source.slotName() + "'")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  @Test
  void theBridgeGivesUpWhenItsReplicationConnectionBecomesASynchronousStandby()
      throws Exception {
    try (WalFixture f = new WalFixture(postgres, "wal_sync_standby", 100, true)) {
      f.begin();
      f.pollFor(Duration.ofMillis(200));
      f.source.probe();
      assertThat(f.source.status()).containsEntry("syncState", "async");
      assertThat(f.registry.get("pgbridge.errors").tag("kind", "wal_sync_standby").counter()
          .count()).isZero();
      ExecutorService writer = Executors.newSingleThreadExecutor();
      try {
        // the production application name: the slot name
        standbyNames("\"" + f.source.slotName() + "\"");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!"sync".equals(syncState(f))) {
          assertThat(System.nanoTime() - deadline).as("sync_state sync").isNegative();
          f.source.poll(20);
        }
        Future<?> commit = writer.submit(() -> {
          f.sql("INSERT INTO generation_sessions (id, project_id) VALUES (gen_random_uuid(),"
              + " gen_random_uuid())");
          return null;
        });
        // no probe: the invisible commit itself makes the bridge look
        long start = System.nanoTime();
        SQLException fatal = null;
        while (fatal == null) {
          assertThat(System.nanoTime() - start).as("the bridge gives up")
              .isLessThan(TimeUnit.SECONDS.toNanos(10));
          try {
            f.source.poll(20);
          } catch (SQLException e) {
            fatal = e;
          }
        }
        assertThat(commit).as("the writer waited for the bridge").isNotDone();
        assertThat(SqlErrors.isTransient(fatal)).isFalse();
        assertThat(fatal.getMessage()).contains("synchronous_standby_names")
            .contains(f.source.slotName());
        assertThat(f.registry.get("pgbridge.errors").tag("kind", "wal_sync_standby").counter()
            .count()).isPositive();
        assertThat(f.state.lastError()).contains("synchronous standby")
            .contains("synchronous_standby_names");
        f.closeReplication();
        // the bridge's walsender is gone; the writer waits for a standby the setting names
        // until it names none (PostgreSQL's rule for a missing synchronous standby)
        standbyNames("");
        commit.get(20, TimeUnit.SECONDS);

        // and a bridge starting while the setting names it refuses before streaming
        standbyNames("*");
        assertThatThrownBy(f::begin).isInstanceOfSatisfying(SQLException.class, e -> {
          assertThat(SqlErrors.isTransient(e)).isFalse();
          assertThat(e.getMessage()).contains("synchronous_standby_names").contains("'*'");
        });
      } finally {
        standbyNames("");
        writer.shutdownNow();
      }
    }
  }
}
