package io.pgbridge.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class AckedOffsetsTest {

  private final AckedOffsets offsets = new AckedOffsets();

  @Test
  void keepsPerPartitionTheOffsetAfterTheLastAcknowledgedRecord() {
    offsets.acknowledged(0, 4);
    offsets.acknowledged(1, 0);
    offsets.acknowledged(0, 9);
    offsets.seed(1, offsets.epoch(), Map.of());
    assertThat(offsets.snapshotIfSeeded(1).orElseThrow().offsets())
        .containsExactly(Map.entry(0, 10L), Map.entry(1, 1L));
  }

  @Test
  void aSeedRaisesPartitionsToTheirEndOffsetButNeverLowersThem() {
    offsets.acknowledged(0, 99);
    offsets.seed(3, offsets.epoch(), Map.of(0, 50L, 1, 7L, 2, 0L));
    assertThat(offsets.snapshotIfSeeded(3).orElseThrow().offsets())
        .containsExactly(Map.entry(0, 100L), Map.entry(1, 7L), Map.entry(2, 0L));
  }

  @Test
  void offsetsAreOnlyOfferedForTheGenerationThatWasSeeded() {
    offsets.acknowledged(0, 1);
    assertThat(offsets.snapshotIfSeeded(1)).as("never seeded").isEmpty();
    offsets.seed(1, offsets.epoch(), Map.of(0, 0L));
    assertThat(offsets.snapshotIfSeeded(1)).isPresent();
    assertThat(offsets.snapshotIfSeeded(2)).as("a new generation may follow another leader")
        .isEmpty();
    assertThat(offsets.seededGeneration()).isEqualTo(1);
  }

  @Test
  void anOffsetBelowTheLastAcknowledgedMeansTheTopicWasRecreated() {
    offsets.acknowledged(0, 500);
    offsets.acknowledged(1, 300);
    offsets.seed(1, offsets.epoch(), Map.of(0, 501L, 1, 301L));
    long epoch = offsets.epoch();
    assertThat(offsets.complete()).isTrue();
    assertThat(offsets.acknowledged(1, 0)).as("re-creation seen").isTrue();
    assertThat(offsets.epoch()).isEqualTo(epoch + 1);
    assertThat(offsets.seededGeneration()).as("waits for a seed of the new topic").isEqualTo(-1);
    assertThat(offsets.snapshotIfSeeded(1)).isEmpty();
    offsets.acknowledged(0, 2); // the first ack of partition 0 in the new topic
    offsets.seed(1, offsets.epoch(), Map.of(0, 3L, 1, 1L, 2, 0L));
    assertThat(offsets.complete()).as("sessions not published since are missing").isFalse();
    assertThat(offsets.snapshotIfSeeded(1)).isEmpty();
    offsets.allRepublished();
    assertThat(offsets.complete()).isTrue();
    assertThat(offsets.snapshotIfSeeded(1).orElseThrow().offsets())
        .containsExactly(Map.entry(0, 3L), Map.entry(1, 1L), Map.entry(2, 0L));
  }

  @Test
  void acknowledgementsInOrderAreNotARecreation() {
    assertThat(offsets.acknowledged(0, 5)).isFalse();
    assertThat(offsets.acknowledged(0, 5)).isFalse();
    assertThat(offsets.acknowledged(1, 0)).isFalse();
    assertThat(offsets.acknowledged(0, 6)).isFalse();
    assertThat(offsets.epoch()).isZero();
  }

  @Test
  void aSeedReadBeforeTheTopicWasFoundRecreatedIsDropped() {
    offsets.acknowledged(0, 500);
    long epochAtRead = offsets.epoch();
    offsets.acknowledged(0, 0);
    offsets.seed(1, epochAtRead, Map.of(0, 501L));
    assertThat(offsets.snapshotIfSeeded(1)).isEmpty();
  }
}
