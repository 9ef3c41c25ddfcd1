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
  }

  @Test
  void startReplicationErrorsOfALostSlotAreRecognised() {
    // PostgreSQL 17's wording for an invalidated slot, and 14's
    assertThat(WalSource.lostOnStart(new SQLException("can no longer get changes from"
        + " replication slot \"s\"", "55000"))).isEqualTo("invalidated");
    assertThat(WalSource.lostOnStart(new SQLException("cannot read from logical replication"
        + " slot \"s\": This slot has been invalidated because it exceeded the maximum reserved"
        + " size.", "55000"))).isEqualTo("invalidated");
    assertThat(WalSource.lostOnStart(new SQLException("replication slot \"s\" does not exist",
        "42704"))).isEqualTo("does not exist");
    assertThat(WalSource.lostOnStart(new SQLException("replication slot \"s\" is active for PID"
        + " 42", "55006"))).isNull();
    assertThat(WalSource.lostOnStart(new SQLException("publication \"p\" does not exist",
        "42704"))).as("a missing publication is not a lost slot").isNull();
  }
}
