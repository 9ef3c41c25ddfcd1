package io.pgbridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** A mistyped PGBRIDGE_* variable is reported instead of silently ignored. */
class UnknownVariablesTest {

  @Test
  void reportsVariablesThatNameNoSettingAndLeavesTheOthersAlone() {
    Map<String, String> env = Map.of(
        "PGBRIDGE_DEBOUNCE_MSS", "5",
        "PGBRIDGE_DEBOUNCE_MS", "5",
        "PGBRIDGE_KAFKA_SASL_JAAS_CONFIG", "x",
        "PGBRIDGE_CONFIG", "/etc/pgbridge/pgbridge.properties",
        "PGBRIDGE_LOG_LEVEL", "DEBUG",
        "PGBRIDGE_TEST_DATABASE_URL", "jdbc:postgresql://h/db",
        "PATH", "/usr/bin");
    assertThat(ConfigLoader.unknownVariables(env)).containsExactly("PGBRIDGE_DEBOUNCE_MSS");
  }
}
