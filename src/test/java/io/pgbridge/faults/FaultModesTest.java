package io.pgbridge.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgbridge.source.SourceMode;
import java.util.List;
import org.junit.jupiter.api.Test;

class FaultModesTest {

  @Test
  void theDefaultRunsEveryModeNotifyFirst() {
    assertThat(FaultModes.parse(FaultModes.DEFAULT))
        .containsExactly(SourceMode.NOTIFY, SourceMode.WAL);
  }

  @Test
  void oneModeRunsAloneWhateverItsCaseAndSpacing() {
    assertThat(FaultModes.parse(" WAL ")).isEqualTo(List.of(SourceMode.WAL));
    assertThat(FaultModes.parse("wal,notify,wal"))
        .containsExactly(SourceMode.WAL, SourceMode.NOTIFY);
  }

  @Test
  void aValueThatNamesNoModeFailsInsteadOfRunningNothing() {
    assertThatThrownBy(() -> FaultModes.parse(" , ")).hasMessageContaining("faults.modes");
    assertThatThrownBy(() -> FaultModes.parse("notify,logical"))
        .hasMessageContaining("logical");
  }
}
