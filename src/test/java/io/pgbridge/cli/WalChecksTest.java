package io.pgbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which synchronous_standby_names values the bridge's replication connection would satisfy. */
class WalChecksTest {

  private static final List<String> NAMES = List.of("pgbridge_orders_1a2b3c4d", "orders");

  @Test
  void emptyOrOtherStandbysAreNoHazard() {
    assertThat(WalChecks.syncStandbyMatch("", NAMES)).isNull();
    assertThat(WalChecks.syncStandbyMatch(null, NAMES)).isNull();
    assertThat(WalChecks.syncStandbyMatch("standby1, standby2", NAMES)).isNull();
    assertThat(WalChecks.syncStandbyMatch("FIRST 1 (standby1, \"Standby 2\")", NAMES)).isNull();
    assertThat(WalChecks.syncStandbyMatch("ANY 2 (s1, s2, s3)", NAMES)).isNull();
  }

  @Test
  void aStarMatchesEveryConnection() {
    assertThat(WalChecks.syncStandbyMatch("*", NAMES)).isEqualTo("'*'");
    assertThat(WalChecks.syncStandbyMatch("FIRST 1 (standby1, *)", NAMES)).isEqualTo("'*'");
    assertThat(WalChecks.syncStandbyMatch("ANY 1 ( * )", NAMES)).isEqualTo("'*'");
  }

  @Test
  void theBridgesNamesMatchCaseInsensitivelyQuotedOrNot() {
    assertThat(WalChecks.syncStandbyMatch("standby1, PGBRIDGE_ORDERS_1A2B3C4D", NAMES))
        .isEqualTo("PGBRIDGE_ORDERS_1A2B3C4D");
    assertThat(WalChecks.syncStandbyMatch("2 (s1, \"Orders\")", NAMES)).isEqualTo("Orders");
    // PostgreSQL compares the unquoted name with *: quoting does not make it a plain name
    assertThat(WalChecks.syncStandbyMatch("\"*\"", NAMES)).isEqualTo("'*'");
  }
}
