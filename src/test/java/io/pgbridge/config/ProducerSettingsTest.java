package io.pgbridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Pass-through Kafka settings are validated with the rest of the configuration. */
class ProducerSettingsTest {

  private static final Map<String, String> BASE = Map.of(
      "database.url", "jdbc:postgresql://localhost/app",
      "kafka.bootstrap.servers", "localhost:9092");

  @Test
  void aBadProducerValueIsReportedBeforeAnythingConnects() {
    Map<String, String> m = new java.util.HashMap<>(BASE);
    m.put("kafka.linger.ms", "soon");
    m.put("kafka.compression.type", "bzip9");
    m.put("debounce.ms", "-1");
    assertThatThrownBy(() -> ConfigLoader.fromMap(m)).isInstanceOf(ConfigProblems.class)
        .satisfies(e -> assertThat(((ConfigProblems) e).problems())
            .anyMatch(p -> p.startsWith("kafka.linger.ms"))
            .anyMatch(p -> p.startsWith("kafka.compression.type"))
            .anyMatch(p -> p.startsWith("debounce.ms")));
  }

  @Test
  void validProducerValuesPass() {
    Map<String, String> m = new java.util.HashMap<>(BASE);
    m.put("kafka.linger.ms", "20");
    m.put("kafka.security.protocol", "SASL_SSL");
    assertThat(ConfigLoader.fromMap(m).kafkaClientProperties()).containsEntry("linger.ms", "20");
  }
}
