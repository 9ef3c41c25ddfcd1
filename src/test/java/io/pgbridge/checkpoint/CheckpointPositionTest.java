package io.pgbridge.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.heartbeat.PublishedPosition;
import io.pgbridge.publish.AckedOffsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CheckpointPositionTest {

  private final AckedOffsets offsets = new AckedOffsets();
  private final CheckpointPosition position = new CheckpointPosition(offsets);
  private final Instant t1 = Instant.parse("2026-12-02T10:15:25.001Z");
  private final Instant t2 = Instant.parse("2026-12-02T10:15:30.002Z");

  @Test
  void nothingIsKnownUntilACheckpointIsStoredWithSeededOffsets() {
    assertThat(position.current()).isEmpty();
    offsets.acknowledged(0, 10);
    position.stored(new CheckpointStore.Barrier("100:105:", t1), 1);
    assertThat(position.current()).as("offsets of generation 1 not seeded").isEmpty();
    offsets.seed(1, offsets.epoch(), Map.of(0, 5L, 1, 3L));
    position.stored(new CheckpointStore.Barrier("110:112:", t2), 1);
    PublishedPosition p = position.current().orElseThrow();
    assertThat(p.publishedUpTo()).isEqualTo(t2);
    assertThat(p.position()).isEqualTo("110:112:");
    assertThat(p.offsets()).containsExactlyInAnyOrderEntriesOf(Map.of(0, 11L, 1, 3L));
    assertThat(position.sourceName()).isEqualTo("notify");
  }

  @Test
  void inWalModeThePositionIsTheConfirmedLsnReadWhenTheCheckpointWasStored() {
    String[] lsn = {"0/16B3748"};
    CheckpointPosition wal = new CheckpointPosition(offsets, "wal", () -> lsn[0]);
    offsets.seed(1, offsets.epoch(), Map.of(0, 0L));
    wal.stored(new CheckpointStore.Barrier("110:112:", t1), 1);
    lsn[0] = "0/16B3800";
    PublishedPosition p = wal.current().orElseThrow();
    assertThat(p.position()).isEqualTo("0/16B3748");
    assertThat(p.publishedUpTo()).isEqualTo(t1);
    assertThat(wal.sourceName()).isEqualTo("wal");
  }

  @Test
  void offsetsAreThoseAtTheTimeTheCheckpointWasStored() {
    offsets.seed(1, offsets.epoch(), Map.of(0, 0L));
    offsets.acknowledged(0, 4);
    position.stored(new CheckpointStore.Barrier("1:1:", t1), 1);
    offsets.acknowledged(0, 40);
    assertThat(position.current().orElseThrow().offsets()).containsEntry(0, 5L);
  }

  @Test
  void aCheckpointOfANewGenerationBeforeItsSeedKeepsThePreviousPosition() {
    offsets.seed(1, offsets.epoch(), Map.of(0, 0L));
    position.stored(new CheckpointStore.Barrier("1:1:", t1), 1);
    position.stored(new CheckpointStore.Barrier("2:2:", t2), 2);
    assertThat(position.current().orElseThrow().publishedUpTo()).isEqualTo(t1);
  }

  @Test
  void aRecreatedTopicInvalidatesThePositionUntilACheckpointAfterARepublishOfAll() {
    offsets.acknowledged(0, 100);
    offsets.seed(1, offsets.epoch(), Map.of(0, 0L));
    position.stored(new CheckpointStore.Barrier("1:1:", t1), 1);
    offsets.acknowledged(0, 0);
    assertThat(position.current()).isEmpty();
    offsets.seed(1, offsets.epoch(), Map.of(0, 1L));
    position.stored(new CheckpointStore.Barrier("2:2:", t2), 1);
    assertThat(position.current()).as("until every session is in the new topic").isEmpty();
    offsets.allRepublished();
    assertThat(position.current()).as("a checkpoint from before the republish").isEmpty();
    position.stored(new CheckpointStore.Barrier("3:3:", t2), 1);
    assertThat(position.current().orElseThrow().offsets()).containsEntry(0, 1L);
  }
}
