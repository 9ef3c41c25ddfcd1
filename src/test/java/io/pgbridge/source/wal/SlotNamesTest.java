package io.pgbridge.source.wal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SlotNamesTest {

  @Test
  void derivesAReadableNameWithAHashOfTheId() {
    // the hash is of the id as configured: sha256("Prod-Bridge") begins with d4bee505
    String name = SlotNames.derive("Prod-Bridge");
    assertThat(name).isEqualTo("pgbridge_prod_bridge_d4bee505");
    assertThat(SlotNames.problem(name)).isNull();
  }

  @Test
  void theHashIsOfTheIdAsConfigured() {
    assertThat(SlotNames.derive("default"))
        .isEqualTo("pgbridge_default_37a8eec1");
  }

  @Test
  void idsThatCleanAlikeGetSlotsOfTheirOwn() {
    assertThat(SlotNames.derive("a-b")).startsWith("pgbridge_a_b_")
        .isNotEqualTo(SlotNames.derive("a.b"));
  }

  @Test
  void longIdsAreCutToFortyReadableCharactersAndStayValid() {
    String id = "x".repeat(100) + "-Ünïcode";
    String name = SlotNames.derive(id);
    assertThat(name).hasSize("pgbridge_".length() + 40 + 1 + 8)
        .startsWith("pgbridge_" + "x".repeat(40) + "_");
    assertThat(SlotNames.problem(name)).isNull();
    assertThat(SlotNames.problem(SlotNames.derive("Ünïcode ☃"))).isNull();
  }

  @Test
  void configuredNamesMustBeLowerCaseLettersDigitsAndUnderscores() {
    assertThat(SlotNames.problem("my_slot_1")).isNull();
    assertThat(SlotNames.problem("a".repeat(63))).isNull();
    assertThat(SlotNames.problem("a".repeat(64))).isNotNull();
    assertThat(SlotNames.problem("")).isNotNull();
    assertThat(SlotNames.problem(null)).isNotNull();
    assertThat(SlotNames.problem("My_Slot")).isNotNull();
    assertThat(SlotNames.problem("slot-1")).isNotNull();
    assertThat(SlotNames.problem("x'; DROP")).isNotNull();
  }
}
