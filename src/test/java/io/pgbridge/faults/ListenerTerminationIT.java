package io.pgbridge.faults;

import static io.pgbridge.faults.KillNineIT.ms;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.Bridge;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FaultWorkload;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.sql.ResultSet;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener's connection killed by {@code pg_terminate_backend} five times while the
 * platform keeps writing (IsolationAndRecoveryIT does it between writes): every notification
 * sent while it reconnects is lost, and catch-up must cover them each time.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ListenerTerminationIT {

  private static final Logger log = LoggerFactory.getLogger(ListenerTerminationIT.class);

  @Test
  void fiveTerminationsUnderWritesLoseNoFinalState() throws Exception {
    BridgeHarness h = BridgeHarness.create("faults_terminate", 2);
    Bridge bridge = h.startBridge(Map.of());
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      List<UUID> ids = FaultWorkload.insertSessions(c, 300);
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(60))).isEmpty();
      FaultWorkload workload = new FaultWorkload(h::connect, ids.subList(0, 150), 60L, 2_000)
          .start();
      Thread.sleep(1_000);
      List<Long> reconnectMillis = new ArrayList<>();
      long lastTerminationAt = 0;
      for (int i = 0; i < 5; i++) {
        long generation = bridge.state().generation();
        assertThat(terminateListener(c)).as("listener backends terminated").isEqualTo(1);
        lastTerminationAt = System.nanoTime();
        long caughtUpAt = PostgresRestartIT.awaitCaughtUpAfter(bridge, generation,
            Duration.ofSeconds(30));
        reconnectMillis.add(ms(caughtUpAt - lastTerminationAt));
        workload.awaitCommitsAfter(workload.commits(), 50, Duration.ofSeconds(30));
      }
      long faultEnd = System.nanoTime();
      workload.pause();
      List<String> mismatches = FinalStateCheck.await(reader, c, workload.deleted(),
          Duration.ofSeconds(30));
      long equalAt = System.nanoTime();
      log.info("listener terminated 5 times under writes: termination -> reconnected and caught"
              + " up {} ms; writer stopped (1.5 s after the last catch-up) -> final state equal {} ms; {} reconnects,"
              + " {} catch-up marks; {}; {} records on the topic", reconnectMillis,
          ms(equalAt - faultEnd), (long) bridge.metrics().reconnects().count(),
          (long) bridge.metrics().catchup().count(), workload.report(), reader.all().size());
      assertThat(mismatches).isEmpty();
      assertThat(bridge.metrics().reconnects().count()).isGreaterThanOrEqualTo(5);
      workload.stop();
      assertThat(bridge.failure()).isNull();
    } finally {
      bridge.stop();
    }
  }

  static int terminateListener(Connection c) throws Exception {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))"
            + " FROM pg_stat_activity WHERE application_name LIKE 'pgbridge-listener-%'"
            + " AND datname = current_database()")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
