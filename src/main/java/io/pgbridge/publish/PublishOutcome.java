package io.pgbridge.publish;

import io.pgbridge.coalesce.DueSession;

/**
 * Where the publisher reports the end of each session's flight. Called from worker threads
 * (skips, synchronous failures) and from the Kafka producer's I/O thread (acknowledgements);
 * implementations must be thread-safe and quick.
 */
public interface PublishOutcome {

  /** Published and acknowledged, or dead-lettered: done, and a record went out. */
  void done(DueSession session);

  /**
   * Published and acknowledged, but the session's last published version was not known before
   * (the first record since start or takeover, a republish) and no INSERT of the session was
   * seen: it may repeat what the topic held.
   */
  void refreshed(DueSession session);

  /** Skipped: the fetched version was already published, so nothing was sent. Done. */
  void unchanged(DueSession session);

  /** Failed for a reason that may pass (network, broker down, timeout): try again later. */
  void retry(DueSession session, Exception cause);

  /**
   * Cannot be published and errors.tolerance=none, or Kafka refuses the bridge itself;
   * {@code cause}'s message is complete for the operator (session, what failed, which setting).
   */
  void fatal(DueSession session, Exception cause);
}
