package io.pgbridge.faults;

import static io.pgbridge.faults.KillNineIT.ms;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.Bridge;
import io.pgbridge.embedded.EmbeddedPostgresServer;
import io.pgbridge.source.SourceMode;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FaultWorkload;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.TestInfra;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL restarts under the bridge (fast: clean shutdown; immediate: crash recovery), on a
 * server of this class's own so that the other test classes of the JVM are not disturbed. Every
 * connection breaks and the writer retries across the restart. NOTIFY: the queue is wiped; the
 * bridge must reconnect, catch up from its checkpoint and end on every final state. WAL: the
 * slot survives the restart (after an immediate one, as of the last checkpoint, so it may go
 * back, never forward); the bridge reconnects and the slot replays every change, with no
 * catch-up from the tables.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostgresRestartIT {

  private static final Logger log = LoggerFactory.getLogger(PostgresRestartIT.class);
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

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.pgbridge.faults.FaultModes#modes")
  void recoversFromAFastRestart(SourceMode source) throws Exception {
    restartUnderWrites(source, false);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.pgbridge.faults.FaultModes#modes")
  void recoversFromAnImmediateRestart(SourceMode source) throws Exception {
    restartUnderWrites(source, true);
  }

  private void restartUnderWrites(SourceMode source, boolean immediate) throws Exception {
    String mode = immediate ? "immediate" : "fast";
    BridgeHarness h = BridgeHarness.create(postgres,
        FaultModes.named("faults_pg_" + mode, source), TestInfra.kafkaBootstrap(),
        TestInfra.newTopic("faults-pg-" + mode + "-" + source.value(), 2), source);
    Bridge bridge = h.startBridge(Map.of());
    try (TopicReader reader = h.reader()) {
      List<UUID> ids;
      try (Connection c = h.connect()) {
        ids = FaultWorkload.insertSessions(c, 500);
        assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(60))).isEmpty();
      }
      FaultWorkload workload = new FaultWorkload(h::connect, ids.subList(0, 150),
          immediate ? 51L : 50L, 2_000).start();
      Thread.sleep(3_000);
      long generation = bridge.state().generation();
      double reconnects = bridge.metrics().reconnects().count();
      double catchUpBefore = bridge.metrics().catchup().count();
      double decodedBefore = BridgeMeters.sum(bridge, "pgbridge.wal.changes");
      long committedBefore = workload.rowChanges();

      long restartAt = System.nanoTime();
      server.restart(immediate);
      long upAt = System.nanoTime();
      // the writer retries across the restart: let one of its writes land, then hold it
      while (workload.lastSuccessNanos() < upAt) {
        Thread.sleep(10);
      }
      workload.pause();
      long caughtUpAt = awaitCaughtUpAfter(bridge, generation, Duration.ofSeconds(60));
      List<String> mismatches;
      try (Connection c = h.connect()) {
        mismatches = FinalStateCheck.await(reader, c, workload.deleted(), Duration.ofSeconds(60));
      }
      long equalAt = System.nanoTime();
      double catchUp = bridge.metrics().catchup().count() - catchUpBefore;
      log.info("{}: PostgreSQL {} restart took {} ms; server up -> source caught up {} ms, ->"
              + " final state equal {} ms; {} reconnect(s), {} catch-up marks, {} decoded WAL"
              + " changes; {}; {} records on the topic", source.value(), mode,
          ms(upAt - restartAt), ms(caughtUpAt - upAt), ms(equalAt - upAt),
          (long) (bridge.metrics().reconnects().count() - reconnects), (long) catchUp,
          (long) (BridgeMeters.sum(bridge, "pgbridge.wal.changes") - decodedBefore),
          workload.report(), reader.all().size());
      assertThat(mismatches).isEmpty();
      assertThat(workload.failures()).as("writes that failed during the restart").isPositive();
      assertThat(bridge.failure()).isNull();
      if (source == SourceMode.NOTIFY) {
        assertThat(catchUp).as("sessions caught up from the checkpoint after the restart")
            .isPositive();
      } else {
        assertThat(catchUp).as("sessions caught up from the tables: none, the slot replays")
            .isZero();
        ListenerTerminationIT.assertDecodedAtLeast(bridge, decodedBefore,
            workload.rowChanges() - committedBefore);
      }

      long resumedAt = workload.commits();
      workload.resume();
      workload.awaitCommitsAfter(resumedAt, 50, Duration.ofSeconds(30));
      workload.stop();
      try (Connection c = h.connect()) {
        assertThat(FinalStateCheck.await(reader, c, workload.deleted(), Duration.ofSeconds(30)))
            .isEmpty();
      }
      assertThat(bridge.ready()).isTrue();
    } finally {
      bridge.stop();
      ListenerTerminationIT.dropSlots(h, source);
    }
    assertThat(bridge.failure()).isNull();
  }

  static long awaitCaughtUpAfter(Bridge bridge, long generation, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!(bridge.state().generation() > generation && bridge.state().caughtUp())
        && System.nanoTime() - deadline < 0) {
      Thread.sleep(10);
    }
    assertThat(bridge.state().generation()).as("listener generation").isGreaterThan(generation);
    assertThat(bridge.state().caughtUp()).as("caught up after reconnecting").isTrue();
    return System.nanoTime();
  }
}
