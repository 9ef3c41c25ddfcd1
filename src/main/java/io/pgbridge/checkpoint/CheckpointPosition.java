package io.pgbridge.checkpoint;

import io.pgbridge.heartbeat.PositionSource;
import io.pgbridge.heartbeat.PublishedPosition;
import io.pgbridge.publish.AckedOffsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The published position: the last checkpoint this instance stored, its snapshot's database
 * time, and the acknowledged offsets at the moment it was stored; its {@code position} text is
 * the snapshot (notify) or the slot's confirmed LSN read when it was stored (wal: checkpoints
 * run in both modes, and the confirmed LSN is the WAL source's own name for how far it is). Every
 * change visible in a stored snapshot was acknowledged before it was stored, so its record lies
 * below those offsets. A checkpoint stored before the current listener generation's offsets were
 * seeded (a previous leader's records could lie above this instance's own) keeps the previous
 * position, and a position from before the topic was found re-created is no position at all.
 * Told by the checkpoint thread, read by the heartbeat thread; thread-safe.
 */
public final class CheckpointPosition implements PositionSource, Checkpointer.StoredListener {

  private final AckedOffsets offsets;
  private final AtomicReference<Held> current = new AtomicReference<>();
  private final String sourceName;
  private final Supplier<String> positionText;

  private record Held(long epoch, PublishedPosition position) {}

  /** The notify source's position: the snapshot names it. */
  public CheckpointPosition(AckedOffsets offsets) {
    this(offsets, "notify", null);
  }

  /**
   * {@code sourceName}: the heartbeat's {@code source}; {@code positionText}: read when a
   * checkpoint is stored (null: the checkpoint's snapshot).
   */
  public CheckpointPosition(AckedOffsets offsets, String sourceName,
      Supplier<String> positionText) {
    this.offsets = offsets;
    this.sourceName = sourceName;
    this.positionText = positionText;
  }

  @Override
  public void stored(CheckpointStore.Barrier barrier, long generation) {
    String text = positionText == null ? barrier.snapshot() : positionText.get();
    offsets.snapshotIfSeeded(generation).ifPresent(o -> current.set(new Held(o.epoch(),
        new PublishedPosition(barrier.takenAt(), text, o.offsets()))));
  }

  @Override
  public String sourceName() {
    return sourceName;
  }

  @Override
  public Optional<PublishedPosition> current() {
    Held held = current.get();
    // offsets of a topic since deleted and created again say nothing about the new one
    return held == null || held.epoch() != offsets.epoch() ? Optional.empty()
        : Optional.of(held.position());
  }
}
