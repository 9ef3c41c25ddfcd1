package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.Bridge;
import io.pgbridge.config.BridgeConfig;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.SessionWriter;
import java.sql.Connection;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Checkpoint rounds run every {@code checkpoint.interval.ms}, not back to back: each round is a
 * transaction with a NOTIFY (the barrier, which serialises commits with the application's
 * writers) and an UPDATE of the checkpoint row, so running them continuously costs the
 * database and the writers for nothing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CheckpointIntervalIT {

  @Test
  void storesCheckpointsAtTheConfiguredIntervalWhileSessionsChange() throws Exception {
    BridgeHarness harness = BridgeHarness.create("checkpoint_interval_it", 1);
    Bridge bridge = harness.startBridge(Map.of(
        BridgeConfig.CHECKPOINT_INTERVAL_MS_CONFIG, "1000",
        BridgeConfig.DEBOUNCE_MS_CONFIG, "0"));
    try (Connection c = harness.connect()) {
      UUID id = UUID.randomUUID();
      SessionWriter.insert(c, id, UUID.randomUUID(), "{\"step\":0}");
      while (!bridge.state().caughtUp()) {
        Thread.sleep(20);
      }
      double before = bridge.metrics().checkpoints().count();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
      int step = 0;
      while (System.nanoTime() < end) {
        SessionWriter.updateState(c, id, "{\"step\":" + (++step) + "}");
        Thread.sleep(5);
      }
      double stored = bridge.metrics().checkpoints().count() - before;
      // 4 s at one round per second: about 4; back-to-back rounds store dozens
      assertThat(stored).isBetween(2.0, 6.0);
    } finally {
      bridge.stop();
    }
  }
}
