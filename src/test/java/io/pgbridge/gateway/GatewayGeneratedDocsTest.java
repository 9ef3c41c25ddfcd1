package io.pgbridge.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The gateway's README table and sample file stay equal to its declarations, and load. */
class GatewayGeneratedDocsTest {

  @Test
  void readmeGatewayConfigurationTableIsTheGeneratedOne() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    String start = "<!-- gateway-config-table:start -->\n";
    int from = readme.indexOf(start);
    int to = readme.indexOf("<!-- gateway-config-table:end -->");
    assertThat(from).as("gateway-config-table markers in README.md").isNotNegative();
    assertThat(readme.substring(from + start.length(), to))
        .as("regenerate with: ./pgbridge gateway config-docs")
        .isEqualTo(GatewayConfigDocs.markdown());
  }

  @Test
  void sampleConfigurationIsTheGeneratedOneAndLoads() throws Exception {
    Path sample = Path.of("config", "gateway.properties");
    assertThat(Files.readString(sample))
        .as("regenerate with: ./pgbridge gateway config-docs --format properties")
        .endsWith(GatewayConfigDocs.properties());
    // the sample leaves auth.mode=jwt without a key file: that is reported, with nothing else
    assertThatThrownBy(() -> GatewayConfigLoader.load(sample, Map.of()))
        .isInstanceOf(GatewayConfigException.class)
        .satisfies(e -> assertThat(((GatewayConfigException) e).problems()).singleElement()
            .asString().startsWith("auth.jwt.key.file"));
    GatewayConfig config = GatewayConfigLoader.load(sample,
        Map.of("PGBRIDGE_GATEWAY_AUTH_MODE", "none"));
    assertThat(config.topic()).isEqualTo("generation-state");
    assertThat(config.heartbeatTopic()).isEqualTo("generation-state.heartbeat");
    assertThat(config.httpPort()).isEqualTo(8080);
  }

  @Test
  void everyProblemIsReportedAtOnceWithoutSecretValues() {
    assertThatThrownBy(() -> GatewayConfigLoader.fromMap(Map.of(
        "http.port", "99999", "auth.mode", "magic", "unknown.key", "1",
        "kafka.ssl.truststore.password", "s3cret-value", "kafka.session.timeout.ms", "x")))
        .isInstanceOf(GatewayConfigException.class)
        .satisfies(e -> {
          GatewayConfigException g = (GatewayConfigException) e;
          assertThat(g.problems()).anyMatch(p -> p.startsWith("http.port"))
              .anyMatch(p -> p.startsWith("auth.mode"))
              .anyMatch(p -> p.startsWith("unknown.key"))
              .anyMatch(p -> p.startsWith("kafka.bootstrap.servers"))
              .anyMatch(p -> p.startsWith("kafka.session.timeout.ms"));
          assertThat(g.getMessage()).doesNotContain("s3cret-value");
        });
  }
}
