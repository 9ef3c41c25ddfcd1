package io.pgbridge.faults;

import static io.pgbridge.faults.KillNineIT.ms;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.BridgeProcess;
import io.pgbridge.testing.FaultWorkload;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM of the bridge process (what Kubernetes sends) while many sessions are still dirty:
 * a long debounce keeps them waiting. The process must publish them, exit 0 within
 * {@code shutdown.timeout.ms}, and whatever it could not publish must come with the next start.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SigtermIT {

  private static final Logger log = LoggerFactory.getLogger(SigtermIT.class);
  private static final long SHUTDOWN_TIMEOUT_MS = 10_000;
  /** JVM exit after the bridge stopped; the time the bridge itself may take is the timeout. */
  private static final long EXIT_MARGIN_MS = 3_000;
  private static final Map<String, String> SLOW_DEBOUNCE = Map.of(
      "debounce.ms", "2000",
      "debounce.max.ms", "5000",
      "shutdown.timeout.ms", Long.toString(SHUTDOWN_TIMEOUT_MS));

  @Test
  void publishesEveryDirtySessionAndExitsZeroWithinTheShutdownTimeout() throws Exception {
    BridgeHarness h = BridgeHarness.create("faults_sigterm_flush", 2);
    try (Connection c = h.connect(); TopicReader reader = h.reader();
        BridgeProcess bridge = new BridgeProcess("sigterm-flush", h.settings(SLOW_DEBOUNCE))) {
      List<UUID> ids = FaultWorkload.insertSessions(c, 300);
      bridge.start();
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(60))).isEmpty();
      FaultWorkload workload = new FaultWorkload(h::connect, ids.subList(0, 150), 15L, 1_000)
          .start();
      Thread.sleep(3_000);
      // the database stops changing, so "everything" is well defined at the signal
      workload.stop();
      JsonNode before = bridge.status();
      int dirty = before.get("dirtySessions").asInt() + before.get("inFlightSessions").asInt();
      long signalled = System.nanoTime();
      int exit = bridge.terminate(Duration.ofMillis(SHUTDOWN_TIMEOUT_MS + 20_000));
      long exitMillis = ms(System.nanoTime() - signalled);
      reader.drain(Duration.ofMillis(500));
      List<String> unpublished = FinalStateCheck.mismatches(reader,
          SessionWriter.snapshot(c), workload.deleted());
      log.info("SIGTERM with {} sessions dirty or in flight: exit code {} after {} ms; {} session(s)"
              + " not on the topic at exit; {}; {} records", dirty, exit, exitMillis,
          unpublished.size(), workload.report(), reader.all().size());
      assertThat(dirty).as("sessions still dirty at the signal").isGreaterThanOrEqualTo(50);
      assertThat(exit).as("exit code after SIGTERM").isZero();
      assertThat(exitMillis).isLessThan(SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS);
      assertThat(unpublished).as("graceful stop publishes what is dirty").isEmpty();

      bridge.start();
      assertThat(bridge.awaitCaughtUp(Duration.ofSeconds(30))).as("caught up").isTrue();
      assertThat(FinalStateCheck.await(reader, c, workload.deleted(), Duration.ofSeconds(30)))
          .isEmpty();
      double catchUp = bridge.metric("pgbridge_catchup_sessions_total");
      log.info("SIGTERM: the next start's catch-up marked {} session(s)", (long) catchUp);
      // nothing changed since the stop, and the stop stored a checkpoint taken after its signal
      assertThat(catchUp).as("sessions the final checkpoint left to catch-up").isZero();
      assertThat(bridge.terminate(Duration.ofSeconds(30))).isZero();
    }
  }

  @Test
  void writesDuringAndAfterTheSigtermArePublishedByTheNextStart() throws Exception {
    BridgeHarness h = BridgeHarness.create("faults_sigterm_writes", 2);
    try (Connection c = h.connect(); TopicReader reader = h.reader();
        BridgeProcess bridge = new BridgeProcess("sigterm-writes", h.settings(SLOW_DEBOUNCE))) {
      List<UUID> ids = FaultWorkload.insertSessions(c, 300);
      bridge.start();
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(60))).isEmpty();
      FaultWorkload workload = new FaultWorkload(h::connect, ids.subList(0, 150), 16L, 1_000)
          .start();
      Thread.sleep(3_000);
      JsonNode before = bridge.status();
      int dirty = before.get("dirtySessions").asInt() + before.get("inFlightSessions").asInt();
      long signalled = System.nanoTime();
      int exit = bridge.terminate(Duration.ofMillis(SHUTDOWN_TIMEOUT_MS + 20_000));
      long exitMillis = ms(System.nanoTime() - signalled);
      Thread.sleep(3_000);

      long restartAt = System.nanoTime();
      workload.stop();
      bridge.start();
      List<String> mismatches = FinalStateCheck.await(reader, c, workload.deleted(),
          Duration.ofSeconds(60));
      long equalAt = System.nanoTime();
      assertThat(bridge.awaitCaughtUp(Duration.ofSeconds(30))).as("caught up").isTrue();
      double catchUp = bridge.metric("pgbridge_catchup_sessions_total");
      log.info("SIGTERM under writes with {} sessions dirty or in flight: exit code {} after {} ms;"
              + " next start's catch-up marked {}; launch -> final state equal {} ms; {}; {}"
              + " records", dirty, exit, exitMillis, (long) catchUp, ms(equalAt - restartAt),
          workload.report(), reader.all().size());
      assertThat(exit).as("exit code after SIGTERM").isZero();
      assertThat(exitMillis).isLessThan(SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS);
      assertThat(mismatches).isEmpty();
      assertThat(catchUp).as("the writes after the stop came by catch-up").isPositive();
      assertThat(bridge.terminate(Duration.ofSeconds(30))).isZero();
    }
  }

  @Test
  void aSigtermDuringStartUpStillExitsZero() throws Exception {
    BridgeHarness h = BridgeHarness.create("faults_sigterm_startup", 1);
    try (Connection c = h.connect(); TopicReader reader = h.reader();
        BridgeProcess bridge = new BridgeProcess("sigterm-startup", h.settings(Map.of()))) {
      FaultWorkload.insertSessions(c, 50);
      // start() returns as soon as the HTTP port answers, while the bridge is still starting
      bridge.start();
      long signalled = System.nanoTime();
      int exit = bridge.terminate(Duration.ofSeconds(40));
      log.info("SIGTERM during start-up: exit code {} after {} ms", exit,
          ms(System.nanoTime() - signalled));
      assertThat(exit).as("exit code after SIGTERM during start-up").isZero();
      bridge.start();
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(30))).isEmpty();
      assertThat(bridge.terminate(Duration.ofSeconds(30))).isZero();
    }
  }
}
