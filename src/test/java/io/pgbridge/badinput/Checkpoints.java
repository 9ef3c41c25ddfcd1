package io.pgbridge.badinput;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** What the stored checkpoint of bridge {@code pgbridge} covers, read straight from SQL. */
final class Checkpoints {

  private Checkpoints() {}

  /**
   * Whether the last change of session {@code id} is visible in the stored checkpoint, i.e.
   * the bridge has declared it acknowledged by Kafka; false when no checkpoint is stored.
   */
  static boolean covers(Connection c, UUID id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_visible_in_snapshot(s.last_txid,"
        + " k.snapshot) FROM generation_sessions s, pgbridge_checkpoint k"
        + " WHERE s.id = ? AND k.bridge_id = 'pgbridge'")) {
      ps.setObject(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /** Waits until the stored checkpoint covers session {@code id}; false after 30 s. */
  static boolean awaitCovering(Connection c, UUID id) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (covers(c, id)) {
        return true;
      }
      Thread.sleep(50);
    }
    return covers(c, id);
  }
}
