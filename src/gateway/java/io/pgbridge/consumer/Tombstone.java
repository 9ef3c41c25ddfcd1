package io.pgbridge.consumer;

/**
 * A session's deletion, remembered for a while after its tombstone (see
 * {@link RetentionPolicy#deletedRetentionMs()}) so that readers can tell "deleted" from
 * "never seen".
 *
 * @param lastVersion the version of the last state before the tombstone, or 0 if none was seen
 * @param seenAtMs when the view applied the tombstone (view clock)
 */
public record Tombstone(String sessionId, String projectId, long lastVersion, int partition,
    long offset, long timestampMs, long seq, long seenAtMs) {}
