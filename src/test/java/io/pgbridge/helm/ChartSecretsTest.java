package io.pgbridge.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgbridge.config.BridgeConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets in the chart: the database password comes from a Secret unless the operator says
 * there is none, user and URL may too, and no secret Kafka client setting can be written into
 * plain values (and so into the ConfigMap), while each can come from a Secret.
 */
class ChartSecretsTest {

  @TempDir
  Path tmp;

  /** Kafka's own PASSWORD-typed settings of the producer and the admin client. */
  private static Set<String> kafkaSecrets() {
    Set<String> keys = new TreeSet<>();
    Stream.of(ProducerConfig.configDef(), AdminClientConfig.configDef())
        .flatMap(def -> def.configKeys().values().stream())
        .filter(k -> k.type == ConfigDef.Type.PASSWORD).forEach(k -> keys.add(k.name));
    return keys;
  }

  @Test
  void anInstallWithoutAPasswordSecretFailsToRenderWithAClearMessage() {
    assertThatThrownBy(() -> RenderedChart.render(tmp, Map.of()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("database.passwordSecret.name is empty")
        .hasMessageContaining("database.passwordless=true");
  }

  @Test
  void noPasswordIsAnExplicitChoiceAndNotCombinedWithASecret() throws IOException {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.PASSWORDLESS.values);

    assertThat(chart.bridgeContainer().path("env").findValuesAsText("name"))
        .doesNotContain("PGBRIDGE_DATABASE_PASSWORD");
    BridgeConfig config = HelmChartTest.load(tmp, chart, RenderedChart.FULLNAME,
        chart.bridgeContainer());
    assertThat(config.databasePassword().value()).isEmpty();
    assertThatThrownBy(() -> RenderedChart.render(tmp, Map.of("database", Map.of(
        "passwordless", true, "passwordSecret", Map.of("name", "pg", "key", "password")))))
        .hasMessageContaining("choose one");
  }

  @Test
  void aManagedDatabasesSecretProvidesUserUrlAndPassword() throws IOException {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.MANAGED_DATABASE.values);

    String properties = chart.propertiesText(RenderedChart.FULLNAME);
    assertThat(RenderedChart.parse(properties).stringPropertyNames())
        .doesNotContain("database.url", "database.user").contains("kafka.bootstrap.servers");
    BridgeConfig config = HelmChartTest.load(tmp, chart, RenderedChart.FULLNAME,
        chart.bridgeContainer());
    assertThat(config.databaseUrl()).isEqualTo(HelmChartTest.dummyUrl("gen-pg-app", "jdbc-uri"));
    assertThat(config.databaseUser()).isEqualTo(HelmChartTest.dummy("gen-pg-app", "username"));
    assertThat(config.databasePassword().value())
        .isEqualTo(HelmChartTest.dummy("gen-pg-app", "password"));
  }

  @Test
  void aMissingUrlWithoutAUrlSecretFailsToRender() {
    Map<String, Object> values = new HashMap<>(ValueSets.DEFAULTS.values);
    Map<String, Object> config = new HashMap<>();
    config.put("database.url", null);
    values.put("config", config);

    assertThatThrownBy(() -> RenderedChart.render(tmp, values))
        .hasMessageContaining("database.url is empty").hasMessageContaining("database.urlSecret");
  }

  @Test
  void everySecretKafkaSettingIsRefusedInPlainValuesWithWhereToPutIt() {
    Set<String> secrets = kafkaSecrets();

    assertThat(secrets).contains("ssl.key.password", "ssl.keystore.password",
        "ssl.truststore.password", "sasl.jaas.config", "ssl.keystore.key",
        "ssl.keystore.certificate.chain", "ssl.truststore.certificates",
        "sasl.oauthbearer.client.credentials.client.secret");
    for (String key : secrets) {
      Map<String, Object> values = ValueSets.defaultsWith(Map.of("config",
          Map.of("kafka." + key, "s3cr3t")));
      assertThatThrownBy(() -> RenderedChart.render(tmp, values)).as("kafka.%s", key)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("config kafka." + key + " is a secret")
          .hasMessageContaining("kafka.secretSettings (key \"" + key + "\")")
          .hasMessageNotContaining("s3cr3t");
    }
  }

  @Test
  void everySecretKafkaSettingCanComeFromASecretAndStaysOutOfTheConfigMap() throws IOException {
    Map<String, Object> refs = new HashMap<>();
    kafkaSecrets().forEach(k -> refs.put(k, Map.of("name", "kafka-secrets", "key", k)));
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.defaultsWith(Map.of(
        "kafka", Map.of("secretSettings", refs))));

    BridgeConfig config = HelmChartTest.load(tmp, chart, RenderedChart.FULLNAME,
        chart.bridgeContainer());

    Map<String, Object> kafka = config.kafkaClientProperties();
    for (String key : kafkaSecrets()) {
      assertThat(kafka).containsEntry(key, HelmChartTest.dummy("kafka-secrets", key));
      assertThat(chart.propertiesText(RenderedChart.FULLNAME)).doesNotContain(key);
    }
  }

  @Test
  void oauthAndPemSettingsFromSecretsReachTheClients() throws IOException {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.KAFKA_SECRET_SETTINGS.values);

    assertThat(chart.bridgeContainer().path("env").findValuesAsText("name")).contains(
        "PGBRIDGE_KAFKA_SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_SECRET",
        "PGBRIDGE_KAFKA_SSL_KEYSTORE_KEY", "PGBRIDGE_KAFKA_SSL_KEYSTORE_CERTIFICATE_CHAIN");
    BridgeConfig config = HelmChartTest.load(tmp, chart, RenderedChart.FULLNAME,
        chart.bridgeContainer());
    assertThat(config.kafkaClientProperties())
        .containsEntry("sasl.mechanism", "OAUTHBEARER")
        .containsEntry("sasl.oauthbearer.client.credentials.client.secret",
            HelmChartTest.dummy("kafka-oauth", "client-secret"))
        .containsEntry("ssl.keystore.key", HelmChartTest.dummy("kafka-pem", "tls.key"));
  }

  @Test
  void aSecretSettingGivenTwiceIsRefused() {
    assertThatThrownBy(() -> RenderedChart.render(tmp, ValueSets.defaultsWith(Map.of("kafka",
        Map.of("sasl", Map.of("jaasConfigSecret", Map.of("name", "u", "key", "jaas")),
            "secretSettings", Map.of("sasl.jaas.config", Map.of("name", "v", "key", "jaas")))))))
        .hasMessageContaining("kafka.secretSettings.sasl.jaas.config is also set by"
            + " kafka.sasl.jaasConfigSecret");
  }
}
