package io.pgbridge.consumer;

/**
 * What one applied record (or a retention decision) changed in a {@link StateView}: a session's
 * new state, its deletion (a tombstone), or its eviction from memory by the retention policy.
 * Delivered to {@link StateListener}s on the consumer thread, in topic order per session.
 *
 * @param state the new state for {@link Kind#UPDATED}; the last known state (may be null) for
 *     the other kinds
 * @param offset the tombstone's offset for {@link Kind#DELETED}, the state's offset otherwise
 * @param seq the view's apply sequence number of this change
 */
public record Change(Kind kind, String sessionId, String projectId, SessionState state,
    int partition, long offset, long timestampMs, long seq) {

  /** The kinds of change. */
  public enum Kind {
    /** a newer version of the session. */
    UPDATED,
    /** a tombstone: the session was deleted. */
    DELETED,
    /** dropped from memory by the retention policy; the topic still has it. */
    EVICTED
  }
}
