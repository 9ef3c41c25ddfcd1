package io.pgbridge.source.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class WalSourceTest {

  private static WalSource.Settings settings(String slot, String publication) {
    return new WalSource.Settings("jdbc:postgresql://db/app", "bridge", "s3cret", "pgbridge",
        "public", "generation_sessions", "b1", slot, publication, 1000, false, true, 500);
  }

  @Test
  void settingsRefuseABadSlotNameOrPublication() {
    assertThat(settings("pgbridge_b1_0123abcd", "pgbridge").slotName())
        .isEqualTo("pgbridge_b1_0123abcd");
    assertThatThrownBy(() -> settings("Bad-Slot", "pgbridge"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wal.slot.name");
    assertThatThrownBy(() -> settings("ok", "pub\"; DROP"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void settingsNeverPrintThePassword() {
    assertThat(settings("ok", "pgbridge").toString()).doesNotContain("s3cret");
    WalSource.Settings inUrl = new WalSource.Settings("jdbc:postgresql://db/app?password=s3cret",
        "bridge", "", "pgbridge", "public", "generation_sessions", "b1", "ok", "pgbridge", 1000,
        false, true, 500);
    assertThat(inUrl.toString()).doesNotContain("s3cret").contains("jdbc:postgresql://db/app");
  }

  private static ReplicationSlots.SlotState slot(String walStatus, boolean conflicting,
      String invalidationReason) {
    return new ReplicationSlots.SlotState(true, "pgoutput", true, false, null, walStatus,
        conflicting, invalidationReason, 100, 50, 0, 0);
  }

  @Test
  void aFailedStartIsJudgedByTheSlotsRowNotByTheMessageText() {
    // any wording (here lc_messages=de) of the SQLSTATEs a lost slot fails with
    assertThat(SlotKeeper.mayMeanLost(new SQLException("Replikations-Slot \u00bbs\u00ab"
        + " wurde ung\u00fcltig gemacht", "55000"))).isTrue();
    assertThat(SlotKeeper.mayMeanLost(new SQLException("Replikations-Slot \u00bbs\u00ab"
        + " existiert nicht", "42704"))).isTrue();
    assertThat(SlotKeeper.mayMeanLost(new SQLException("replication slot \"s\" is active for"
        + " PID 42", "55006"))).as("active elsewhere: retried, not lost").isFalse();

    assertThat(SlotKeeper.lostReason(ReplicationSlots.SlotState.missing()))
        .isEqualTo("dropped");
    assertThat(SlotKeeper.lostReason(slot("lost", false, null))).isEqualTo("invalidated");
    assertThat(SlotKeeper.lostReason(slot("reserved", true, null))).as("16+: conflicting")
        .isEqualTo("invalidated");
    assertThat(SlotKeeper.lostReason(slot("reserved", false, "wal_removed")))
        .as("17+: invalidation_reason").isEqualTo("invalidated");
    assertThat(SlotKeeper.lostReason(slot("reserved", false, null)))
        .as("a healthy slot (say, the publication is missing): the error stands").isNull();
  }
}
