package io.pgbridge.consumer;

import java.util.Set;

/**
 * How much of the topic a {@link StateView} keeps in memory. Sessions whose state's status field
 * is one of {@code finishedStatuses} are dropped {@code finishedRetentionMs} after their last
 * change (0 keeps them); deletion markers are kept {@code deletedRetentionMs} and at most
 * {@code maxDeleted}; and the view never holds more than {@code maxSessions} sessions (the oldest
 * finished go first; when none is finished, some other session goes, counted as a capacity
 * eviction). Evicted sessions come back with their next record.
 *
 * @param statusField top-level field of the state JSON holding the status
 */
public record RetentionPolicy(String statusField, Set<String> finishedStatuses,
    long finishedRetentionMs, int maxSessions, long deletedRetentionMs, int maxDeleted) {

  public RetentionPolicy {
    finishedStatuses = Set.copyOf(finishedStatuses);
    if (maxSessions < 1 || maxDeleted < 0 || finishedRetentionMs < 0 || deletedRetentionMs < 0) {
      throw new IllegalArgumentException("retention limits must not be negative (maxSessions >= 1)");
    }
  }

  /** Keep everything up to {@code maxSessions}; finished sessions stay. */
  public static RetentionPolicy keepAll(int maxSessions) {
    return new RetentionPolicy("status", Set.of(), 0, maxSessions, 3_600_000L, 100_000);
  }

  public boolean finished(String status) {
    return status != null && finishedStatuses.contains(status);
  }
}
