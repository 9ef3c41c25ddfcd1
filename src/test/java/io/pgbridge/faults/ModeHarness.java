package io.pgbridge.faults;

import io.pgbridge.source.SourceMode;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.TestInfra;
import java.sql.SQLException;
import org.junit.jupiter.api.Assumptions;

/**
 * {@link BridgeHarness} for a source mode, until the harness takes the mode itself: NOTIFY is
 * the harness as it is; WAL needs the bridge's WAL wiring, without which the WAL parameter of a
 * fault test is reported as aborted rather than passed.
 */
final class ModeHarness {

  private ModeHarness() {}

  static BridgeHarness create(String name, int partitions, SourceMode mode)
      throws SQLException {
    requireWiring(mode);
    return BridgeHarness.create(name, partitions);
  }

  static BridgeHarness create(TestInfra.Postgres server, String name, String bootstrap,
      String topic, SourceMode mode) throws SQLException {
    requireWiring(mode);
    return BridgeHarness.create(server, name, bootstrap, topic);
  }

  private static void requireWiring(SourceMode mode) {
    Assumptions.assumeTrue(mode == SourceMode.NOTIFY,
        "source.mode=" + mode.value() + " is not wired into the bridge on this branch");
  }
}
