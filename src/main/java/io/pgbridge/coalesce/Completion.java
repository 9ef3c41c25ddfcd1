package io.pgbridge.coalesce;

/**
 * How a session's flight ended, as reported to {@link SessionCoalescer#complete}: a record was
 * published (or dead-lettered), the state was already published so nothing was sent, or the
 * flight failed and must be retried. Only a published record opens a leading-edge window.
 */
public enum Completion {
  /** A record for the session was acknowledged (or dead-lettered): it went out. */
  PUBLISHED,
  /** Nothing needed sending: the fetched version was already on the topic. */
  UNCHANGED,
  /** Fetch or send failed for a reason that may pass: retried after a backoff. */
  FAILED
}
