package io.pgbridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

/** The admin client gets the settings it declares, and no producer setting. */
class AdminClientSettingsTest {

  /** Producer settings a prefix deny-list let through (max.request.size, metadata.max.idle.ms). */
  private static final List<String> PRODUCER_ONLY = List.of("linger.ms", "acks",
      "max.request.size", "metadata.max.idle.ms", "compression.type", "batch.size",
      "delivery.timeout.ms", "buffer.memory", "partitioner.ignore.keys");

  private static final Map<String, String> SHARED = Map.of(
      "security.protocol", "SASL_SSL",
      "sasl.mechanism", "SCRAM-SHA-512",
      "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;",
      "ssl.truststore.location", "/etc/kafka/ca.p12",
      "ssl.truststore.password", "hunter2",
      "client.dns.lookup", "use_all_dns_ips",
      "request.timeout.ms", "20000");

  @Test
  void producerSettingsStayWithTheProducerAndSharedOnesReachBoth() {
    Map<String, String> m = new HashMap<>();
    m.put("database.url", "jdbc:postgresql://localhost/app");
    m.put("kafka.bootstrap.servers", "k1:9092,k2:9092");
    PRODUCER_ONLY.forEach(k -> m.put("kafka." + k, value(k)));
    SHARED.forEach((k, v) -> m.put("kafka." + k, v));
    BridgeConfig config = ConfigLoader.fromMap(m);

    Map<String, Object> admin = config.adminClientProperties();

    assertThat(PRODUCER_ONLY).allSatisfy(k -> {
      assertThat(ProducerConfig.configNames()).contains(k);
      assertThat(AdminClientConfig.configNames()).doesNotContain(k);
    });
    assertThat(admin).containsAllEntriesOf(SHARED)
        .containsEntry("bootstrap.servers", "k1:9092,k2:9092")
        .doesNotContainKeys(PRODUCER_ONLY.toArray(new String[0]));
    assertThat(admin.keySet()).allMatch(AdminClientConfig.configNames()::contains);
    // the producer still gets everything
    assertThat(config.kafkaClientProperties()).containsKeys(PRODUCER_ONLY.toArray(new String[0]));
  }

  private static String value(String key) {
    return switch (key) {
      case "acks" -> "all";
      case "compression.type" -> "zstd";
      case "partitioner.ignore.keys" -> "false";
      default -> "60000";
    };
  }
}
