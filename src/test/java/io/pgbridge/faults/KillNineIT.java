package io.pgbridge.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.source.SourceMode;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.BridgeProcess;
import io.pgbridge.testing.FaultWorkload;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.time.Duration;
import java.util.HashSet;
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
 * {@code kill -9} of the bridge process in the middle of a burst: no shutdown code runs, so
 * whatever was dirty, in flight or unacknowledged is gone with it, and a second writer changes
 * other sessions while it is down. NOTIFY: those notifications reach nobody; the next process
 * must republish all of it from the stored checkpoint, and only that. WAL: the slot confirmed
 * nothing past what Kafka acknowledged, so the next process gets every one of those changes
 * again from the slot and catches up nothing from the tables. The burst's sessions and the
 * second writer's are disjoint, so the sessions the kill left unpublished stay unpublished
 * unless the next process recovers them.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class KillNineIT {

  private static final Logger log = LoggerFactory.getLogger(KillNineIT.class);
  private static final int SESSIONS = 1_000;
  private static final int HOT = 100;

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.pgbridge.faults.FaultModes#modes")
  void aProcessKilledMidBurstLosesNothingInTheNextOne(SourceMode mode) throws Exception {
    BridgeHarness h = BridgeHarness.create(FaultModes.named("faults_kill9", mode), 2, mode);
    // a trailing window of 500 ms: at any moment of the burst many sessions have changes
    // that are not published yet, and the kill leaves them behind
    try (Connection c = h.connect(); TopicReader reader = h.reader();
        BridgeProcess bridge = new BridgeProcess(FaultModes.named("kill9", mode),
            h.settings(Map.of("debounce.ms", "500")))) {
      List<UUID> ids = FaultWorkload.insertSessions(c, SESSIONS);
      bridge.start();
      assertThat(bridge.awaitReady(Duration.ofSeconds(30))).as("ready").isTrue();
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(60))).isEmpty();

      FaultWorkload burst = new FaultWorkload(h::connect, ids.subList(0, HOT), 9L, 2_000)
          .start();
      FaultWorkload whileDown = new FaultWorkload(h::connect, ids.subList(HOT, 2 * HOT), 10L,
          2_000);
      Set<UUID> deleted = new HashSet<>();
      Thread.sleep(3_000);
      assertThat(bridge.metric("pgbridge_checkpoints_stored_total")).as("checkpoints stored")
          .isPositive();
      var status = bridge.status();
      burst.pause();
      bridge.killHard();
      long killedAt = System.nanoTime();
      // what the dead process left unpublished: the database (unchanged since) against every
      // record it had sent
      reader.drain(Duration.ofSeconds(1));
      deleted.addAll(burst.deleted());
      List<String> unpublished = FinalStateCheck.mismatches(reader, SessionWriter.snapshot(c),
          deleted);
      assertThat(unpublished).as("sessions the kill left unpublished").isNotEmpty();

      whileDown.markWindow();
      whileDown.start();
      Thread.sleep(4_000);
      whileDown.pause();
      long restartAt = System.nanoTime();
      Set<UUID> changedWhileDown = whileDown.window();
      long rowChangesWhileDown = whileDown.rowChanges();
      assertThat(changedWhileDown).as("sessions the writer changed while the bridge was down")
          .isNotEmpty();
      deleted.addAll(whileDown.deleted());
      bridge.start();
      long startedAt = System.nanoTime();
      List<String> mismatches = FinalStateCheck.await(reader, c, deleted, Duration.ofSeconds(60));
      long equalAt = System.nanoTime();
      assertThat(bridge.awaitCaughtUp(Duration.ofSeconds(30))).as("caught up").isTrue();
      double catchUp = bridge.metric("pgbridge_catchup_sessions_total");
      double decoded = mode == SourceMode.WAL
          ? awaitDecoded(bridge, rowChangesWhileDown) : 0;
      log.info("{} kill -9: killed with {} dirty, {} in flight, {} outstanding records, {}"
              + " sessions unpublished; down {} ms; {} sessions changed while down; second"
              + " process catch-up marked {} of {} sessions, decoded {} WAL changes; launch ->"
              + " final state equal {} ms (process up after {} ms); {} + {}; {} records on the"
              + " topic", mode.value(), status.get("dirtySessions"),
          status.get("inFlightSessions"), status.get("outstandingRecords"), unpublished.size(),
          ms(restartAt - killedAt), changedWhileDown.size(), (long) catchUp, SESSIONS,
          (long) decoded, ms(equalAt - restartAt), ms(startedAt - restartAt), burst.report(),
          whileDown.report(), reader.all().size());
      assertThat(mismatches).isEmpty();
      if (mode == SourceMode.NOTIFY) {
        assertThat(catchUp).as("catch-up covers every session changed while down")
            .isGreaterThanOrEqualTo(changedWhileDown.size());
        assertThat(catchUp).as("catch-up resumed from the checkpoint, not from scratch")
            .isLessThan(SESSIONS / 3.0);
      } else {
        assertThat(catchUp).as("sessions caught up from the tables: none, the slot replays")
            .isZero();
        assertThat(decoded).as("row changes replayed from the slot (pgbridge_wal_changes_total)"
            + " against the %d committed while down", rowChangesWhileDown)
            .isGreaterThanOrEqualTo((double) rowChangesWhileDown);
      }

      // and the new process serves the live stream, not only what it recovered
      long resumedAt = whileDown.commits();
      whileDown.resume();
      whileDown.awaitCommitsAfter(resumedAt, 50, Duration.ofSeconds(30));
      whileDown.stop();
      burst.stop();
      deleted.addAll(whileDown.deleted());
      assertThat(FinalStateCheck.await(reader, c, deleted, Duration.ofSeconds(30))).isEmpty();
      log.info("{} kill -9: after recovery {}; {} records on the topic", mode.value(),
          whileDown.report(), reader.all().size());
      assertThat(bridge.terminate(Duration.ofSeconds(40))).isZero();
    } finally {
      ListenerTerminationIT.dropSlots(h, mode);
    }
  }

  /** WAL: waits until the process decoded at least {@code changes} row changes; the count. */
  private static double awaitDecoded(BridgeProcess bridge, long changes) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    double decoded = bridge.metric("pgbridge_wal_changes_total");
    while (decoded < changes && System.nanoTime() - deadline < 0) {
      Thread.sleep(50);
      decoded = bridge.metric("pgbridge_wal_changes_total");
    }
    return decoded;
  }

  static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
