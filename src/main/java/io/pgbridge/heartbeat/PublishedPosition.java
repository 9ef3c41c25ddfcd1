package io.pgbridge.heartbeat;

import java.time.Instant;
import java.util.Map;

/**
 * How far the state topic is known to be complete: every change whose transaction committed in
 * the database before {@code publishedUpTo} (database clock) has its record acknowledged at an
 * offset below {@code offsets[p]} of its partition {@code p}. {@code position} is the source's
 * own, opaque name for the same point (a checkpoint snapshot, a confirmed LSN).
 */
public record PublishedPosition(Instant publishedUpTo, String position,
    Map<Integer, Long> offsets) {

  public PublishedPosition {
    offsets = Map.copyOf(offsets);
  }
}
