package io.pgbridge.coalesce;

/**
 * How a session's flight ended, as reported to {@link SessionCoalescer#complete}: a record was
 * published (or dead-lettered), a record was published for a session whose last version was
 * not known, the state was already published so nothing was sent, or the flight failed and must
 * be retried. Only a published record that followed a known version opens a leading-edge
 * window.
 */
public enum Completion {
  /** A record for the session was acknowledged (or dead-lettered): it went out. */
  PUBLISHED,
  /**
   * A record was acknowledged, but the session's last published version was not known before
   * (the first since start or takeover, a republish) and the session was not inserted since: it
   * may only repeat what the topic held, so it opens no window and the session's next change is
   * not held back.
   */
  REFRESHED,
  /** Nothing needed sending: the fetched version was already on the topic. */
  UNCHANGED,
  /** Fetch or send failed for a reason that may pass: retried after a backoff. */
  FAILED
}
