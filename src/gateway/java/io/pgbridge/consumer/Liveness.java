package io.pgbridge.consumer;

import java.time.Instant;

/**
 * How current a view is, judged by the bridge's heartbeats: {@link Bridge#LIVE} while they keep
 * arriving (none missing for more than 3 x their interval), {@link Bridge#STALE} when they
 * stopped, {@link Bridge#UNKNOWN} when none was ever seen (no heartbeat topic, or heartbeats
 * off). {@code currentAsOf} is the last heartbeat's {@code publishedUpTo} once the view has
 * read up to that heartbeat's offsets: every session with no newer record is current as of then.
 *
 * @param lastHeartbeat when the last heartbeat was produced (bridge clock), or null
 * @param lastHeartbeatAgeMs age of the last heartbeat by the view's clock when it was received
 *     and since, or -1
 */
public record Liveness(Bridge bridge, Instant lastHeartbeat, long lastHeartbeatAgeMs,
    long intervalMs, Instant currentAsOf, String bridgeId) {

  /** The bridge's state as the heartbeats tell it. */
  public enum Bridge {
    LIVE, STALE, UNKNOWN;

    public String text() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public static final Liveness UNKNOWN = new Liveness(Bridge.UNKNOWN, null, -1, 0, null, null);
}
