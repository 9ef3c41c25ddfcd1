package io.pgbridge.wal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.embedded.EmbeddedPostgresServer;
import io.pgbridge.testing.TestInfra;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A replication connection whose application name synchronous_standby_names matches is a
 * synchronous standby: every commit then waits for the bridge. On a PostgreSQL of its own (the
 * setting is server-wide), the probe says so in /status, the error counter and the last error.
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

  @Test
  void theProbeWarnsWhenTheReplicationConnectionIsASynchronousStandby() throws Exception {
    try (WalFixture f = new WalFixture(postgres, "wal_sync_standby", 100, true)) {
      f.begin();
      f.pollFor(Duration.ofMillis(200));
      f.source.probe();
      assertThat(f.source.status()).containsEntry("syncState", "async");
      double before = f.registry.get("pgbridge.errors").tag("kind", "wal_sync_standby")
          .counter().count();
      assertThat(before).isZero();
      try {
        standbyNames("\"pgbridge-" + f.bridgeId + "\"");
        f.pollUntil("sync_state sync", Duration.ofSeconds(20), () -> {
          try {
            f.source.probe();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          return "sync".equals(f.source.status().get("syncState"));
        });
        assertThat(f.registry.get("pgbridge.errors").tag("kind", "wal_sync_standby").counter()
            .count()).isPositive();
        assertThat(f.state.lastError()).contains("synchronous standby")
            .contains("synchronous_standby_names");
      } finally {
        standbyNames("");
      }
    }
  }
}
