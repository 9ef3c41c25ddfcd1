package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.Bridge;
import io.pgbridge.BridgeState.Role;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FaultWorkload;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A leader stopped gracefully while writes go on hands over to its standby only once it can
 * no longer deliver anything: it publishes its backlog and closes its producer while it still
 * holds the lock, so nothing it sends lands after the standby's records, and the standby does
 * not wait for the whole shutdown timeout either.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GracefulHandoverIT {

  @Test
  void theStoppingLeaderAcknowledgesNothingAfterTheStandbyTookTheLock() throws Exception {
    BridgeHarness h = BridgeHarness.create("graceful_handover", 2);
    Map<String, String> ha = Map.of("bridge.id", "handover", "shutdown.timeout.ms", "10000",
        "ha.takeover.settle.ms", "0", "debounce.ms", "20", "ha.retry.ms", "10");
    List<UUID> hot;
    try (Connection c = h.connect()) {
      hot = FaultWorkload.insertSessions(c, 50);
    }
    Bridge leader = h.startBridge(ha);
    IsolationAndRecoveryIT.awaitRole(leader, Role.LEADER);
    Bridge standby = h.startBridge(ha);
    IsolationAndRecoveryIT.awaitRole(standby, Role.STANDBY);
    try (FaultWorkload writes = new FaultWorkload(h::connect, hot, 7, 500).start();
        TopicReader reader = h.reader()) {
      Thread.sleep(1_000);
      long started = System.nanoTime();
      CompletableFuture<Void> stopping = CompletableFuture.runAsync(leader::stop);
      while (!standby.state().leader()) {
        assertThat(System.nanoTime() - started).as("standby took over")
            .isLessThan(TimeUnit.SECONDS.toNanos(30));
        Thread.sleep(1);
      }
      double ackedAtTakeover = leader.metrics().published().count()
          + leader.metrics().tombstones().count();
      // the producer's own meters are unbound when it is closed
      boolean producerOpenAtTakeover = leader.metrics().registry().getMeters().stream()
          .anyMatch(m -> m.getId().getName().startsWith("kafka.producer"));
      long takeoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      stopping.get(30, TimeUnit.SECONDS);
      assertThat(leader.metrics().published().count() + leader.metrics().tombstones().count())
          .as("records the old leader had acknowledged after the standby took the lock")
          .isEqualTo(ackedAtTakeover);
      assertThat(producerOpenAtTakeover).as("old leader's producer still open at takeover")
          .isFalse();
      assertThat(takeoverMs).as("takeover well before the 10 s shutdown timeout")
          .isLessThan(8_000);

      long progress = writes.rowChanges();
      while (writes.rowChanges() < progress + 50) {
        Thread.sleep(10);
      }
      writes.pause();
      try (Connection c = h.connect()) {
        assertThat(FinalStateCheck.await(reader, c, writes.deleted(), Duration.ofSeconds(30)))
            .isEmpty();
      }
      writes.stop();
    } finally {
      standby.stop();
      leader.stop();
    }
  }
}
