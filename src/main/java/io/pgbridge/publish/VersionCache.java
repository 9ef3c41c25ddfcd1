package io.pgbridge.publish;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The last version acknowledged by Kafka per session, so that a fetch that finds nothing new
 * is skipped instead of published. Bounded (least recently used out): forgetting a session only
 * costs one duplicate record. {@link #TOMBSTONE} marks a published deletion. Thread-safe.
 */
public final class VersionCache {

  public static final long TOMBSTONE = Long.MIN_VALUE;

  private final Map<UUID, Long> versions;

  public VersionCache(int capacity) {
    this.versions = new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<UUID, Long> eldest) {
        return size() > capacity;
      }
    };
  }

  /** The last acknowledged version, {@link #TOMBSTONE}, or null if unknown. */
  public synchronized Long get(UUID id) {
    return versions.get(id);
  }

  /** Records an acknowledged version; never moves a session backwards. */
  public synchronized void acknowledged(UUID id, long version) {
    Long previous = versions.get(id);
    if (previous == null || version == TOMBSTONE || previous == TOMBSTONE
        || version > previous) {
      versions.put(id, version);
    }
  }

  /** Forgets everything (after this instance regains leadership). */
  public synchronized void clear() {
    versions.clear();
  }

  public synchronized int size() {
    return versions.size();
  }
}
