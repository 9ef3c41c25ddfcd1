package io.pgbridge.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.cli.ExitCodes;
import io.pgbridge.embedded.EmbeddedPostgresServer;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.BridgeProcess;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TestInfra;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A bridge process started while its PostgreSQL server is down (a failover, a restart, a pod
 * scheduled before the database): it must wait like a Kubernetes workload, alive but not ready
 * and saying why, and publish once the server is up, instead of exiting into a crash loop.
 * What retrying cannot fix (a missing database) still exits at once with the documented code.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StartWhileDatabaseDownIT {

  private static EmbeddedPostgresServer server;
  private static BridgeHarness harness;

  @BeforeAll
  static void startServer() throws Exception {
    server = EmbeddedPostgresServer.start();
    TestInfra.Postgres pg = new TestInfra.Postgres(server.jdbcUrl(), server.user(),
        server.password());
    harness = BridgeHarness.create(pg, "start_db_down", TestInfra.kafkaBootstrap(),
        TestInfra.newTopic("start-db-down", 1));
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void waitsNotReadyWhileTheDatabaseIsDownAndPublishesOnceItIsUp() throws Exception {
    server.stop(false);
    Map<String, String> settings = harness.settings(Map.of("reconnect.backoff.max.ms", "500"));
    try (BridgeProcess bridge = new BridgeProcess("start-db-down", settings);
        TopicReader reader = harness.reader()) {
      bridge.start(); // returns once /healthz answers; throws if the process exited
      Thread.sleep(3_000);
      assertThat(bridge.isAlive()).as("still running after 3 s").isTrue();
      assertThat(bridge.httpGet("/healthz").status()).isEqualTo(200);
      assertThat(bridge.httpGet("/readyz").status()).isEqualTo(503);
      assertThat(bridge.status().path("role").asText()).isEqualTo("starting");
      assertThat(bridge.status().path("lastError").asText()).contains("PostgreSQL")
          .contains("database.url");

      server.startAgain();
      assertThat(bridge.awaitReady(Duration.ofSeconds(60))).as(bridge.tail(40)).isTrue();
      UUID id = UUID.randomUUID();
      try (Connection c = harness.connect()) {
        SessionWriter.insert(c, id, UUID.randomUUID(), "{\"after\":\"start\"}");
        assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(30)))
            .isEmpty();
      }
      assertThat(reader.last(id)).isNotNull();
      assertThat(bridge.terminate(Duration.ofSeconds(30))).isEqualTo(ExitCodes.OK);
    } finally {
      ensureUp();
    }
  }

  @Test
  void aSigtermWhileWaitingForTheDatabaseExitsZero() throws Exception {
    server.stop(false);
    try (BridgeProcess bridge = new BridgeProcess("start-db-down-sigterm",
        harness.settings(Map.of()))) {
      bridge.start();
      Thread.sleep(1_000);
      assertThat(bridge.terminate(Duration.ofSeconds(20))).isEqualTo(ExitCodes.OK);
    } finally {
      ensureUp();
    }
  }

  @Test
  void aMissingDatabaseStillExitsAtOnce() throws Exception {
    Map<String, String> settings = harness.settings(Map.of("database.url",
        harness.jdbcUrl().replace("start_db_down", "start_db_no_such_db")));
    try (BridgeProcess bridge = new BridgeProcess("start-db-missing", settings)) {
      long started = System.nanoTime();
      try {
        bridge.start();
      } catch (java.io.IOException exitedBeforeHttp) {
        assertThat(exitedBeforeHttp.getMessage()).contains("exited with " + ExitCodes.UNAVAILABLE);
        return;
      }
      assertThat(bridge.awaitExit(Duration.ofSeconds(30))).as(bridge.tail(20))
          .isEqualTo(ExitCodes.UNAVAILABLE);
      assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)).isLessThan(30);
      assertThat(bridge.tail(20)).contains("3D000");
    }
  }

  private static void ensureUp() throws Exception {
    try (Connection c = harness.connect()) {
      return;
    } catch (java.sql.SQLException down) {
      server.startAgain();
    }
  }
}
