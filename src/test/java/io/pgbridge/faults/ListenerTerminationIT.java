package io.pgbridge.faults;

import static io.pgbridge.faults.KillNineIT.ms;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.Bridge;
import io.pgbridge.source.SourceMode;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FaultWorkload;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source's connection killed by {@code pg_terminate_backend} five times while the platform
 * keeps writing (IsolationAndRecoveryIT does it between writes). NOTIFY: the LISTEN connection;
 * every notification sent while it reconnects is lost, and catch-up from the checkpoint must
 * cover them each time. WAL: the walsender streaming from the bridge's slot; the slot keeps
 * what the bridge did not confirm, so the reconnected stream replays it and nothing is caught
 * up from the tables.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ListenerTerminationIT {

  private static final Logger log = LoggerFactory.getLogger(ListenerTerminationIT.class);

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.pgbridge.faults.FaultModes#modes")
  void fiveTerminationsUnderWritesLoseNoFinalState(SourceMode mode) throws Exception {
    BridgeHarness h = BridgeHarness.create(FaultModes.named("faults_terminate", mode), 2, mode);
    Bridge bridge = h.startBridge(Map.of());
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      List<UUID> ids = FaultWorkload.insertSessions(c, 300);
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(60))).isEmpty();
      double catchUpBefore = bridge.metrics().catchup().count();
      double decodedBefore = BridgeMeters.sum(bridge, "pgbridge.wal.changes");
      FaultWorkload workload = new FaultWorkload(h::connect, ids.subList(0, 150), 60L, 2_000)
          .start();
      Thread.sleep(1_000);
      List<Long> reconnectMillis = new ArrayList<>();
      long lastTerminationAt = 0;
      for (int i = 0; i < 5; i++) {
        long generation = bridge.state().generation();
        String slot = mode == SourceMode.WAL ? h.slotName() : null;
        if (slot != null) {
          awaitActiveSlot(c, slot);
        }
        Integer walsender = mode == SourceMode.WAL ? SourceBackend.slot(c, slot).activePid()
            : null;
        assertThat(SourceBackend.terminate(c, mode, slot)).as("source backends terminated")
            .isEqualTo(1);
        lastTerminationAt = System.nanoTime();
        long caughtUpAt = PostgresRestartIT.awaitCaughtUpAfter(bridge, generation,
            Duration.ofSeconds(30));
        reconnectMillis.add(ms(caughtUpAt - lastTerminationAt));
        if (mode == SourceMode.WAL) {
          assertThat(awaitActiveSlot(c, slot).activePid())
              .as("a new walsender streams from " + slot).isNotEqualTo(walsender);
        }
        workload.awaitCommitsAfter(workload.commits(), 50, Duration.ofSeconds(30));
      }
      long faultEnd = System.nanoTime();
      workload.pause();
      List<String> mismatches = FinalStateCheck.await(reader, c, workload.deleted(),
          Duration.ofSeconds(30));
      long equalAt = System.nanoTime();
      double catchUp = bridge.metrics().catchup().count() - catchUpBefore;
      log.info("{}: source connection terminated 5 times under writes: termination ->"
              + " reconnected and caught up {} ms; writer stopped (1.5 s after the last catch-up)"
              + " -> final state equal {} ms; {} reconnects, {} catch-up marks, {} decoded WAL"
              + " changes; {}; {} records on the topic", mode.value(), reconnectMillis,
          ms(equalAt - faultEnd), (long) bridge.metrics().reconnects().count(), (long) catchUp,
          (long) (BridgeMeters.sum(bridge, "pgbridge.wal.changes") - decodedBefore),
          workload.report(), reader.all().size());
      assertThat(mismatches).isEmpty();
      assertThat(bridge.metrics().reconnects().count()).isGreaterThanOrEqualTo(5);
      if (mode == SourceMode.NOTIFY) {
        assertThat(catchUp).as("sessions caught up from the checkpoint after the reconnects")
            .isPositive();
      } else {
        assertThat(catchUp).as("sessions caught up from the tables: none, the slot replays")
            .isZero();
        assertDecodedAtLeast(bridge, decodedBefore, workload.rowChanges());
      }
      workload.stop();
      assertThat(bridge.failure()).isNull();
    } finally {
      bridge.stop();
      dropSlots(h, mode);
    }
  }

  /**
   * WAL: waits until the slot has decoded at least every row change the workload committed
   * since {@code before} (a replay only adds to it).
   */
  static void assertDecodedAtLeast(Bridge bridge, double before, long committed)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (BridgeMeters.sum(bridge, "pgbridge.wal.changes") - before < committed
        && System.nanoTime() - deadline < 0) {
      Thread.sleep(20);
    }
    assertThat(BridgeMeters.sum(bridge, "pgbridge.wal.changes") - before)
        .as("row changes decoded from the slot (pgbridge_wal_changes_total) against the %d"
            + " the writer committed", committed)
        .isGreaterThanOrEqualTo((double) committed);
  }

  /** WAL: slot {@code name} once a walsender streams from it (30 s at most). */
  static SourceBackend.Slot awaitActiveSlot(Connection c, String name)
      throws SQLException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    SourceBackend.Slot slot = SourceBackend.slot(c, name);
    while ((slot == null || !slot.active()) && System.nanoTime() - deadline < 0) {
      Thread.sleep(20);
      slot = SourceBackend.slot(c, name);
    }
    assertThat(slot).as("replication slot " + name).isNotNull();
    assertThat(slot.active()).as(name + " streaming").isTrue();
    return slot;
  }

  /** Teardown in WAL mode: the bridge is stopped; its slot must not outlive the test. */
  static void dropSlots(BridgeHarness h, SourceMode mode) throws SQLException {
    if (mode == SourceMode.WAL) {
      h.dropSlot();
    }
  }
}
