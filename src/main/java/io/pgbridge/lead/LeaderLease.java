package io.pgbridge.lead;

import io.pgbridge.time.Ticker;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader lease of one {@code bridge.id}: a session-level advisory lock (class
 * {@code 0x70676272}, key {@code hashtext(bridge.id)}) taken with {@code pg_try_advisory_lock}
 * on the change source's own connection, so that the lease ends when that connection does and a
 * standby that waits for it gets no error. The same lock in both source modes. Called on the
 * source runner's thread only; holds no connection of its own.
 */
public final class LeaderLease {

  private static final Logger log = LoggerFactory.getLogger(LeaderLease.class);
  private static final int LOCK_CLASS = 0x70676272; // "pgbr"

  private final String bridgeId;
  private final long retryMs;
  private final Ticker ticker;

  /** {@code retryMs}: how long a standby waits between attempts ({@code ha.retry.ms}). */
  public LeaderLease(String bridgeId, long retryMs, Ticker ticker) {
    this.bridgeId = bridgeId;
    this.retryMs = retryMs;
    this.ticker = ticker;
  }

  /**
   * Blocks until this connection holds the lease; returns false when {@code running} turns
   * false meanwhile. {@code onStandby} runs once, when the first attempt finds the lease held by
   * another instance.
   */
  public boolean acquire(Connection conn, BooleanSupplier running, Runnable onStandby)
      throws SQLException, InterruptedException {
    boolean announced = false;
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT pg_try_advisory_lock(" + LOCK_CLASS + ", hashtext(?))")) {
      ps.setString(1, bridgeId);
      while (running.getAsBoolean()) {
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getBoolean(1)) {
            log.info("leader lock for bridge.id={} acquired: this instance publishes",
                bridgeId);
            return true;
          }
        }
        if (!announced) {
          onStandby.run();
          log.info("another instance leads bridge.id={}; waiting as standby", bridgeId);
          announced = true;
        }
        sleep(retryMs, running);
      }
    }
    return false;
  }

  private void sleep(long millis, BooleanSupplier running) throws InterruptedException {
    long end = ticker.nanos() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (running.getAsBoolean() && ticker.nanos() - end < 0) {
      Thread.sleep(Math.min(50, Math.max(1,
          TimeUnit.NANOSECONDS.toMillis(end - ticker.nanos()))));
    }
  }
}
