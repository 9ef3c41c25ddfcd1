package io.pgbridge.heartbeat;

import java.util.Optional;

/**
 * The acknowledgement side's account of what is published, read by the heartbeat: in notify
 * mode the last checkpoint this instance stored, in WAL mode the last confirmed position.
 * Implementations are thread-safe and cheap to call.
 */
public interface PositionSource {

  /** The source's name in heartbeats: {@code notify} or {@code wal}. */
  String sourceName();

  /** The latest established position; empty until one is known. */
  Optional<PublishedPosition> current();
}
