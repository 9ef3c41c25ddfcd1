package io.pgbridge.source.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SnapshotVisibilityTest {

  @Test
  void aTransactionStillInTheXipListIsNotVisible() {
    SnapshotVisibility s = SnapshotVisibility.parse("740:750:742,745");
    assertThat(s.visible(742)).isFalse();
    assertThat(s.visible(745)).isFalse();
    assertThat(s.visible(743)).isTrue();
    assertThat(s.visible(739)).isTrue();
  }

  @Test
  void aTransactionAtOrAfterXmaxIsNotVisibleYet() {
    // committed to the WAL but not yet out of the ProcArray: latestCompletedXid is behind it
    SnapshotVisibility s = SnapshotVisibility.parse("750:750:");
    assertThat(s.visible(749)).isTrue();
    assertThat(s.visible(750)).isFalse();
    assertThat(s.visible(751)).isFalse();
  }

  @Test
  void thirtyTwoBitIdsAreWidenedWithTheEpochOfXmax() {
    long epoch = 3L << 32;
    SnapshotVisibility s = SnapshotVisibility.parse((epoch + 5) + ":" + (epoch + 10) + ":"
        + (epoch + 7));
    assertThat(s.visible(7)).isFalse();
    assertThat(s.visible(8)).isTrue();
    // an id just before the wraparound belongs to the previous epoch: long committed
    assertThat(s.visible(0xFFFF_FFF0)).isTrue();
    SnapshotVisibility across = SnapshotVisibility.parse((epoch - 20) + ":" + (epoch + 2) + ":"
        + (epoch - 3));
    assertThat(across.visible(0xFFFF_FFFD)).as("in xip, previous epoch").isFalse();
    assertThat(across.visible(0xFFFF_FFFE)).isTrue();
    assertThat(across.visible(1)).isTrue();
    assertThat(across.visible(2)).isFalse();
    // xmax just before the wraparound, a transaction already in the next epoch
    SnapshotVisibility before = SnapshotVisibility.parse((epoch - 20) + ":" + (epoch - 10)
        + ":");
    assertThat(before.visible(3)).isFalse();
    assertThat(before.visible(0xFFFF_FFEB)).isTrue();
  }

  @Test
  void somethingElseIsRefused() {
    assertThatThrownBy(() -> SnapshotVisibility.parse("1:2"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
