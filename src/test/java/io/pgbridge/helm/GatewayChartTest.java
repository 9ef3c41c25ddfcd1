package io.pgbridge.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgbridge.gateway.GatewayConfigException;
import io.pgbridge.gateway.GatewayConfigLoader;
import io.pgbridge.gateway.GatewayHandler;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's part of the chart: absent by default; when enabled, a Deployment, Service and
 * ConfigMap of its own whose settings the gateway's loader accepts, whose probes are the
 * gateway's paths on its port, and whose selectors never match the bridge's pods.
 */
class GatewayChartTest {

  private static final String NAME = RenderedChart.FULLNAME + "-gateway";

  @TempDir
  Path tmp;

  private RenderedChart enabled(Map<String, Object> more) {
    Map<String, Object> gateway = new HashMap<>(Map.of("enabled", true,
        "jwtKeys", Map.of("secretName", "gateway-jwks"),
        "config", Map.of("kafka.bootstrap.servers", "kafka:9092", "topic", "generation-state",
            "http.port", 8081, "auth.mode", "jwt",
            "auth.jwt.key.file", "/etc/pgbridge-gateway/keys/jwks.json",
            "allowed.origins", List.of("https://app.example.com", "https://admin.example.com"))));
    gateway.putAll(more);
    return RenderedChart.render(tmp, ValueSets.defaultsWith(Map.of("gateway", gateway)));
  }

  @Test
  void theGatewayIsOffByDefault() {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.DEFAULTS.values);

    assertThat(chart.find("Deployment", NAME)).isEmpty();
    assertThat(chart.find("Service", NAME)).isEmpty();
    assertThat(chart.find("ConfigMap", NAME)).isEmpty();
  }

  @Test
  void enabledItRendersADeploymentAServiceAndSettingsTheGatewayAccepts() {
    RenderedChart chart = enabled(Map.of());
    JsonNode deployment = chart.get("Deployment", NAME);
    JsonNode container = RenderedChart.container(deployment, "gateway");

    Properties props = RenderedChart.parse(chart.get("ConfigMap", NAME).path("data")
        .path("gateway.properties").asText());
    Map<String, String> settings = new HashMap<>();
    props.stringPropertyNames().forEach(k -> settings.put(k, props.getProperty(k)));
    // Everything is valid but the key file, which exists only inside the pod.
    assertThatThrownBy(() -> GatewayConfigLoader.fromMap(settings))
        .isInstanceOf(GatewayConfigException.class)
        .satisfies(e -> assertThat(((GatewayConfigException) e).problems()).containsExactly(
            "auth.jwt.key.file: cannot read /etc/pgbridge-gateway/keys/jwks.json"));
    assertThat(props.getProperty("allowed.origins"))
        .isEqualTo("https://app.example.com,https://admin.example.com");

    assertThat(RenderedChart.textList(container.path("args")))
        .containsExactly("run", "--config", "/etc/pgbridge-gateway/gateway.properties");
    assertThat(container.path("ports").get(0).path("containerPort").asInt()).isEqualTo(8081);
    assertThat(container.path("readinessProbe").path("httpGet").path("path").asText())
        .isEqualTo(GatewayHandler.READY_PATH);
    assertThat(container.path("livenessProbe").path("httpGet").path("path").asText())
        .isEqualTo(GatewayHandler.HEALTH_PATH);
    assertThat(container.path("image").asText()).startsWith("pgbridge/pgbridge-gateway:");
    assertThat(container.path("securityContext").path("readOnlyRootFilesystem").asBoolean())
        .isTrue();
    JsonNode keys = deployment.path("spec").path("template").path("spec").path("volumes");
    assertThat(keys.findValuesAsText("secretName")).contains("gateway-jwks");

    JsonNode service = chart.get("Service", NAME);
    assertThat(service.path("spec").path("ports").get(0).path("targetPort").asText())
        .isEqualTo("http");
    assertThat(service.path("spec").path("selector"))
        .isEqualTo(deployment.path("spec").path("selector").path("matchLabels"));
  }

  @Test
  void theBridgesSelectorsNeverMatchGatewayPods() {
    RenderedChart chart = enabled(Map.of());
    JsonNode gatewayLabels = chart.get("Deployment", NAME).path("spec").path("template")
        .path("metadata").path("labels");
    JsonNode bridgeSelector = chart.deployment().path("spec").path("selector")
        .path("matchLabels");
    JsonNode bridgeService = chart.get("Service", RenderedChart.FULLNAME).path("spec")
        .path("selector");

    for (JsonNode selector : List.of(bridgeSelector, bridgeService)) {
      boolean matches = true;
      for (var it = selector.fields(); it.hasNext(); ) {
        var e = it.next();
        matches &= e.getValue().asText().equals(gatewayLabels.path(e.getKey()).asText());
      }
      assertThat(matches).as("bridge selector %s matches gateway pods %s", selector,
          gatewayLabels).isFalse();
    }
  }

  @Test
  void theJvmRunsOneCollectorZgcUnlessTheValuesNameAnother() {
    JsonNode byDefault = RenderedChart.container(enabled(Map.of()).get("Deployment",
        RenderedChart.FULLNAME + "-gateway"), "gateway");
    JsonNode g1 = RenderedChart.container(enabled(Map.of("javaToolOptions",
        "-XX:+UseG1GC -XX:MaxRAMPercentage=75")).get("Deployment",
        RenderedChart.FULLNAME + "-gateway"), "gateway");
    JsonNode none = RenderedChart.container(enabled(Map.of("javaToolOptions", "")).get(
        "Deployment", RenderedChart.FULLNAME + "-gateway"), "gateway");

    assertThat(HelmChartTest.envValue(byDefault, "JAVA_TOOL_OPTIONS")).contains("-XX:+UseZGC");
    assertThat(HelmChartTest.envValue(g1, "JAVA_TOOL_OPTIONS"))
        .isEqualTo("-XX:+UseG1GC -XX:MaxRAMPercentage=75");
    // empty: the image's own JAVA_TOOL_OPTIONS (ZGC) applies
    assertThat(none.path("env").findValuesAsText("name")).doesNotContain("JAVA_TOOL_OPTIONS");
    // a collector added to the default instead of replacing it would stop the JVM at start
    assertThatThrownBy(() -> enabled(Map.of("javaToolOptions",
        "-XX:+UseZGC -XX:MaxRAMPercentage=75 -XX:+UseG1GC")))
        .hasMessageContaining("more than one garbage collector");
  }

  @Test
  void keysFromBothASecretAndAConfigMapAreRefused() {
    assertThatThrownBy(() -> enabled(Map.of("jwtKeys",
        Map.of("secretName", "a", "configMapName", "b"))))
        .hasMessageContaining("secretName or configMapName");
  }
}
