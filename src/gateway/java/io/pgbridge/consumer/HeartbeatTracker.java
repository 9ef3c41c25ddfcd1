package io.pgbridge.consumer;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Follows the bridge's heartbeats and applies the heartbeat contract's consumer rule: the bridge
 * is live while heartbeats keep arriving (the newest received less than 3 x {@code intervalMs}
 * ago, by this process's clock, so clock skew between bridge and consumer does not matter); the
 * view is current as of the newest heartbeat's {@code publishedUpTo} once its position reached
 * that heartbeat's offsets. Several bridge ids on one heartbeat topic are tracked apart; the
 * newest one decides. {@link #received} is called by the consumer thread, {@link #liveness} by
 * any thread.
 */
public final class HeartbeatTracker {

  /** No heartbeat for more than this many intervals means stale (the contract's rule). */
  public static final int STALE_AFTER_INTERVALS = 3;

  private final LongSupplier clockMs;
  private final Supplier<Position> viewPosition;
  private final Map<String, Received> latest = new ConcurrentHashMap<>();

  private record Received(Heartbeat heartbeat, long receivedAtMs) {}

  /**
   * @param clockMs this process's clock in milliseconds (injected for tests)
   * @param viewPosition the state view's position, read when liveness is asked for
   */
  public HeartbeatTracker(LongSupplier clockMs, Supplier<Position> viewPosition) {
    this.clockMs = clockMs;
    this.viewPosition = viewPosition;
  }

  /**
   * A heartbeat read from the topic; {@code recordTimestampMs} is its record's timestamp. A
   * heartbeat read long after it was appended (at start, reading the topic's history) counts
   * from its timestamp, not from now, so an old heartbeat of a bridge that has since stopped
   * does not make it look live.
   */
  public void received(Heartbeat heartbeat, long recordTimestampMs) {
    long now = clockMs.getAsLong();
    long receivedAt = now - recordTimestampMs > STALE_AFTER_INTERVALS * heartbeat.intervalMs()
        ? recordTimestampMs : now;
    latest.merge(heartbeat.bridgeId(), new Received(heartbeat, receivedAt),
        (old, fresh) -> fresh.heartbeat.time().isBefore(old.heartbeat.time()) ? old : fresh);
  }

  public Liveness liveness() {
    Received newest = null;
    for (Received r : latest.values()) {
      if (newest == null || r.receivedAtMs > newest.receivedAtMs) {
        newest = r;
      }
    }
    if (newest == null) {
      return Liveness.UNKNOWN;
    }
    Heartbeat h = newest.heartbeat;
    long age = Math.max(0, clockMs.getAsLong() - newest.receivedAtMs);
    boolean live = age <= STALE_AFTER_INTERVALS * h.intervalMs();
    Instant asOf = null;
    if (h.publishedUpTo() != null && reached(viewPosition.get(), h.offsets())) {
      asOf = h.publishedUpTo();
    }
    return new Liveness(live ? Liveness.Bridge.LIVE : Liveness.Bridge.STALE, h.time(), age,
        h.intervalMs(), asOf, h.bridgeId());
  }

  private static boolean reached(Position position, Map<Integer, Long> offsets) {
    for (Map.Entry<Integer, Long> e : offsets.entrySet()) {
      if (position.offset(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }
}
