package io.pgbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The supported server range: 14 and later; below it, a message that names both. */
class DatabaseChecksTest {

  @Test
  void refusesServersBelowFourteenWithAClearMessage() {
    assertThat(DatabaseChecks.versionProblem(130022)).contains("PostgreSQL 13 is not supported")
        .contains("PostgreSQL 14 or later");
    assertThat(DatabaseChecks.versionProblem(96024)).contains("PostgreSQL 9 ");
    assertThat(DatabaseChecks.versionProblem(140000)).isNull();
    assertThat(DatabaseChecks.versionProblem(180001)).isNull();
  }
}
