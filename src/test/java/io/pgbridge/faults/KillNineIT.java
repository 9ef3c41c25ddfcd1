package io.pgbridge.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.BridgeProcess;
import io.pgbridge.testing.FaultWorkload;
import io.pgbridge.testing.FinalStateCheck;
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
 * {@code kill -9} of the bridge process in the middle of a burst: no shutdown code runs, so
 * whatever was dirty, in flight or unacknowledged is gone with it, and notifications sent while
 * it is down reach nobody. The next process must republish all of it from the stored
 * checkpoint, and only that.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class KillNineIT {

  private static final Logger log = LoggerFactory.getLogger(KillNineIT.class);
  private static final int SESSIONS = 1_000;
  private static final int HOT = 150;

  @Test
  void aProcessKilledMidBurstIsCaughtUpFromTheCheckpointByTheNextOne() throws Exception {
    BridgeHarness h = BridgeHarness.create("faults_kill9", 2);
    try (Connection c = h.connect(); TopicReader reader = h.reader();
        BridgeProcess bridge = new BridgeProcess("kill9", h.settings(Map.of()))) {
      List<UUID> ids = FaultWorkload.insertSessions(c, SESSIONS);
      bridge.start();
      assertThat(bridge.awaitReady(Duration.ofSeconds(30))).as("ready").isTrue();
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(60))).isEmpty();

      FaultWorkload workload = new FaultWorkload(h::connect, ids.subList(0, HOT), 9L, 2_000)
          .start();
      Thread.sleep(3_000);
      assertThat(bridge.metric("pgbridge_checkpoints_stored_total")).as("checkpoints stored")
          .isPositive();
      var status = bridge.status();
      bridge.killHard();
      workload.markWindow();
      long killedAt = System.nanoTime();
      Thread.sleep(4_000);

      long restartAt = System.nanoTime();
      workload.pause();
      Set<UUID> changedWhileDown = workload.window();
      assertThat(changedWhileDown).as("sessions the writer changed while the bridge was down")
          .isNotEmpty();
      bridge.start();
      long startedAt = System.nanoTime();
      List<String> mismatches = FinalStateCheck.await(reader, c, workload.deleted(),
          Duration.ofSeconds(60));
      long equalAt = System.nanoTime();
      assertThat(bridge.awaitCaughtUp(Duration.ofSeconds(30))).as("caught up").isTrue();
      double catchUp = bridge.metric("pgbridge_catchup_sessions_total");
      log.info("kill -9: killed with {} dirty, {} in flight, {} outstanding records; down {} ms;"
              + " {} sessions changed while down; second process catch-up"
              + " marked {} of {} sessions; launch -> final state equal {} ms (process up after"
              + " {} ms); {}; {} records on the topic",
          status.get("dirtySessions"), status.get("inFlightSessions"),
          status.get("outstandingRecords"), ms(restartAt - killedAt), changedWhileDown.size(), (long) catchUp, SESSIONS,
          ms(equalAt - restartAt), ms(startedAt - restartAt), workload.report(),
          reader.all().size());
      assertThat(mismatches).isEmpty();
      assertThat(catchUp).as("catch-up covers every session changed while down")
          .isGreaterThanOrEqualTo(changedWhileDown.size());
      assertThat(catchUp).as("catch-up resumed from the checkpoint, not from scratch")
          .isLessThan(SESSIONS / 3.0);

      // and the new process serves live notifications, not only its catch-up
      long resumedAt = workload.commits();
      workload.resume();
      workload.awaitCommitsAfter(resumedAt, 50, Duration.ofSeconds(30));
      workload.stop();
      assertThat(FinalStateCheck.await(reader, c, workload.deleted(), Duration.ofSeconds(30)))
          .isEmpty();
      log.info("kill -9: after recovery {}; {} records on the topic", workload.report(),
          reader.all().size());
      assertThat(bridge.terminate(Duration.ofSeconds(40))).isZero();
    }
  }

  static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }
}
