package io.pgbridge.publish;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Per partition of the state topic, the offset after the last record Kafka acknowledged to this
 * instance, raised to the partition's end offset read at the start of each listener generation
 * (a previous leader's acknowledged records lie below it). A position built from a
 * {@link #snapshotIfSeeded snapshot} is sound only once its generation has been seeded.
 *
 * <p>Acknowledgements of one partition arrive in offset order (idempotent producer, at most five
 * requests in flight), so an offset below the last one acknowledged means the topic was deleted
 * and created again: everything known is then forgotten, the {@link #epoch()} moves on and the
 * offsets wait for a new seed. The new topic lacks every session not published since, so no
 * position is {@link #complete() complete} again until a republish of all sessions has finished
 * in it. Updated from the producer's I/O thread, seeded and read from others; thread-safe (one
 * monitor, held for a few map operations).
 */
public final class AckedOffsets {

  private final Map<Integer, Long> next = new HashMap<>();
  private final Map<Integer, Long> lastAcked = new HashMap<>();
  private long seededGeneration = -1;
  private long epoch;
  private long republishedEpoch;

  /**
   * Kafka acknowledged a record at {@code offset} of {@code partition}; returns true when that
   * offset shows the topic was created again.
   */
  public synchronized boolean acknowledged(int partition, long offset) {
    if (offset < 0) {
      return false;
    }
    Long previous = lastAcked.get(partition);
    boolean recreated = previous != null && offset < previous;
    if (recreated) {
      next.clear();
      lastAcked.clear();
      seededGeneration = -1;
      epoch++;
    }
    lastAcked.put(partition, offset);
    next.merge(partition, offset + 1, Math::max);
    return recreated;
  }

  /** A republish of every session finished: the topic holds every session again. */
  public synchronized void allRepublished() {
    republishedEpoch = epoch;
  }

  /** False from finding the topic re-created until every session was republished into it. */
  public synchronized boolean complete() {
    return republishedEpoch == epoch;
  }

  /**
   * Raises every partition to at least its end offset, read after listener generation
   * {@code generation} began (so after this instance took the leader lock).
   */
  public synchronized void seed(long generation, long epochAtRead, Map<Integer, Long> endOffsets) {
    if (epochAtRead != epoch) {
      return; // the topic was re-created while the end offsets were read: read them again
    }
    endOffsets.forEach((p, o) -> next.merge(p, o, Math::max));
    seededGeneration = generation;
  }

  /** The generation of the last {@link #seed}; -1 before the first or after a reset. */
  public synchronized long seededGeneration() {
    return seededGeneration;
  }

  /** Moves on each time the topic is found re-created. */
  public synchronized long epoch() {
    return epoch;
  }

  /**
   * The offsets now and their epoch, if the current {@code generation} was seeded and the topic
   * is {@link #complete()}.
   */
  public synchronized Optional<Snapshot> snapshotIfSeeded(long generation) {
    return seededGeneration == generation && republishedEpoch == epoch
        ? Optional.of(new Snapshot(epoch, new TreeMap<>(next))) : Optional.empty();
  }

  /** Offsets (partition to next offset, in partition order) of one epoch. */
  public record Snapshot(long epoch, Map<Integer, Long> offsets) {}
}
