package io.pgbridge.demo;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * When each session version was committed, as {@link System#nanoTime()} in this process, so
 * that the demo can measure writer-commit to consumer-receipt lag without trusting any clock but
 * its own. Writers {@link #committed record} every version they commit; the consumer
 * {@link #take takes} the version it received and drops the older ones that were coalesced away,
 * so memory stays proportional to what is not yet published. Thread-safe; no lifecycle.
 */
final class CommitTimes {

  private final Map<UUID, ConcurrentSkipListMap<Long, Long>> bySession =
      new ConcurrentHashMap<>();

  /** Called by a writer right after the commit of {@code version} returned. */
  void committed(UUID session, long version, long nanos) {
    bySession.computeIfAbsent(session, s -> new ConcurrentSkipListMap<>()).put(version, nanos);
  }

  /**
   * The commit time of {@code version} of {@code session}, or -1 if unknown (a repeat, or a
   * record that overtook the writer's bookkeeping); forgets that version and older ones.
   */
  long take(UUID session, long version) {
    ConcurrentSkipListMap<Long, Long> versions = bySession.get(session);
    if (versions == null) {
      return -1;
    }
    Long nanos = versions.get(version);
    versions.headMap(version, true).clear();
    return nanos == null ? -1 : nanos;
  }

  /** Forgets a deleted session. */
  void forget(UUID session) {
    bySession.remove(session);
  }
}
