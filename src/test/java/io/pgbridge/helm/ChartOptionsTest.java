package io.pgbridge.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgbridge.config.BridgeConfig;
import io.pgbridge.http.AdminServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chart's optional pieces, each rendered on and checked where it lands. */
class ChartOptionsTest {

  @TempDir
  Path tmp;

  /** Every pgbridge pod the chart renders: the bridge and the hook pods, by container name. */
  private static List<JsonNode[]> workloads(RenderedChart chart) {
    List<JsonNode[]> out = new ArrayList<>();
    out.add(new JsonNode[] {chart.deployment(), chart.bridgeContainer()});
    for (JsonNode job : chart.ofKind("Job")) {
      out.add(new JsonNode[] {job, RenderedChart.container(job, "migrate")});
    }
    for (JsonNode pod : chart.ofKind("Pod")) {
      out.add(new JsonNode[] {pod, RenderedChart.container(pod, "check")});
    }
    return out;
  }

  @Test
  void helmTestRunsCheckWithTheBridgesConfigurationSecretsAndMounts() throws IOException {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.SECURED_KAFKA.values);
    JsonNode pod = chart.get("Pod", RenderedChart.FULLNAME + "-check");
    JsonNode container = RenderedChart.container(pod, "check");
    JsonNode bridge = chart.bridgeContainer();

    assertThat(pod.path("metadata").path("annotations").path(RenderedChart.HOOK_PREFIX)
        .asText()).isEqualTo("test");
    assertThat(pod.path("spec").path("restartPolicy").asText()).isEqualTo("Never");
    assertThat(RenderedChart.textList(container.path("args")))
        .containsExactly("check", "--config", "/etc/pgbridge/pgbridge.properties");
    assertThat(container.path("env")).isEqualTo(bridge.path("env"));
    assertThat(container.path("volumeMounts")).isEqualTo(bridge.path("volumeMounts"));
    // the release's own ConfigMap: it exists by the time 'helm test' runs
    String config = HelmChartTest.mountAt(container, "/etc/pgbridge/pgbridge.properties");
    assertThat(HelmChartTest.volume(pod, config).path("configMap").path("name").asText())
        .isEqualTo(RenderedChart.FULLNAME);
    BridgeConfig checked = HelmChartTest.load(tmp, chart, RenderedChart.FULLNAME, container);
    BridgeConfig running = HelmChartTest.load(tmp, chart, RenderedChart.FULLNAME, bridge);
    assertThat(checked.describe()).isEqualTo(running.describe());
    assertThat(checked.kafkaClientProperties()).isEqualTo(running.kafkaClientProperties());
    assertThat(HelmChartTest.labels(pod)).containsEntry("app.kubernetes.io/component", "test");
  }

  @Test
  void networkPolicyOpensTheHttpPortToTheGivenSourcesAndEgressToDnsAndTheGivenRules() {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.NETWORK_POLICY.values);
    JsonNode spec = chart.get("NetworkPolicy", RenderedChart.FULLNAME).path("spec");

    // it selects every pgbridge pod of the release: the bridge and the hook pods
    Map<String, String> selector = HelmChartTest.toMap(spec.path("podSelector")
        .path("matchLabels"));
    JsonNode expression = spec.path("podSelector").path("matchExpressions").get(0);
    assertThat(expression.path("operator").asText()).isEqualTo("In");
    List<String> components = RenderedChart.textList(expression.path("values"));
    assertThat(chart.workloads()).hasSize(3);
    for (JsonNode workload : chart.workloads()) {
      JsonNode podLabels = "Pod".equals(workload.path("kind").asText())
          ? workload.path("metadata").path("labels")
          : workload.path("spec").path("template").path("metadata").path("labels");
      assertThat(HelmChartTest.toMap(podLabels)).containsAllEntriesOf(selector);
      assertThat(components).contains(podLabels.path(expression.path("key").asText()).asText());
    }
    assertThat(RenderedChart.textList(spec.path("policyTypes")))
        .containsExactly("Ingress", "Egress");
    JsonNode ingress = spec.path("ingress").get(0);
    assertThat(ingress.path("ports").get(0).path("port").asInt())
        .isEqualTo(HelmChartTest.containerPort(chart.bridgeContainer(), "http"));
    assertThat(ingress.path("from").get(0).path("namespaceSelector").path("matchLabels")
        .path("kubernetes.io/metadata.name").asText()).isEqualTo("monitoring");
    JsonNode egress = spec.path("egress");
    assertThat(egress).hasSize(2);
    assertThat(egress.get(0).path("ports").findValuesAsText("protocol"))
        .containsExactlyInAnyOrder("UDP", "TCP");
    assertThat(egress.get(0).path("ports").findValues("port")).allMatch(p -> p.asInt() == 53);
    assertThat(egress.get(1).path("ports").findValues("port")).extracting(JsonNode::asInt)
        .containsExactly(5432, 9093);
  }

  @Test
  void networkPolicyLeavesEgressAloneUnlessRestrictedAndRefusesARestrictionWithoutRules() {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.defaultsWith(Map.of(
        "networkPolicy", Map.of("enabled", true))));
    JsonNode spec = chart.get("NetworkPolicy", RenderedChart.FULLNAME).path("spec");

    assertThat(RenderedChart.textList(spec.path("policyTypes"))).containsExactly("Ingress");
    assertThat(spec.has("egress")).isFalse();
    assertThat(spec.path("ingress").get(0).has("from")).as("any source").isFalse();
    assertThat(RenderedChart.render(tmp, ValueSets.DEFAULTS.values).ofKind("NetworkPolicy"))
        .isEmpty();
    assertThatThrownBy(() -> RenderedChart.render(tmp, ValueSets.defaultsWith(Map.of(
        "networkPolicy", Map.of("enabled", true, "egress", Map.of("restrict", true))))))
        .hasMessageContaining("networkPolicy.egress.rules");
  }

  @Test
  void podMonitorScrapesTheMetricsPathOfEachBridgePodAndNoHookPod() {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.POD_MONITOR.values);
    JsonNode monitor = chart.get("PodMonitor", RenderedChart.FULLNAME);
    Map<String, String> selector = HelmChartTest.toMap(monitor.path("spec").path("selector")
        .path("matchLabels"));
    JsonNode endpoint = monitor.path("spec").path("podMetricsEndpoints").get(0);

    assertThat(HelmChartTest.toMap(chart.deployment().path("spec").path("template")
        .path("metadata").path("labels"))).containsAllEntriesOf(selector);
    for (JsonNode hook : chart.workloads()) {
      if (!"Deployment".equals(hook.path("kind").asText())) {
        JsonNode labels = "Pod".equals(hook.path("kind").asText())
            ? hook.path("metadata").path("labels")
            : hook.path("spec").path("template").path("metadata").path("labels");
        assertThat(HelmChartTest.toMap(labels)).as(hook.path("metadata").path("name").asText())
            .doesNotContainEntry("app.kubernetes.io/component", "bridge");
      }
    }
    assertThat(endpoint.path("path").asText()).isEqualTo(AdminServer.METRICS_PATH);
    assertThat(HelmChartTest.containerPort(chart.bridgeContainer(), endpoint.path("port")
        .asText())).isPositive();
    assertThat(HelmChartTest.labels(monitor)).containsEntry("release", "prometheus");
    assertThat(chart.ofKind("ServiceMonitor")).isEmpty();
    assertThatThrownBy(() -> RenderedChart.render(tmp, ValueSets.defaultsWith(Map.of(
        "podMonitor", Map.of("enabled", true), "serviceMonitor", Map.of("enabled", true)))))
        .hasMessageContaining("choose one");
  }

  @Test
  void helmTestCanBeLeftOut() {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.defaultsWith(
        Map.of("helmTest", Map.of("enabled", false))));

    assertThat(chart.ofKind("Pod")).isEmpty();
  }

  @Test
  void extraVolumesMountsAndEnvironmentReachEveryContainer() throws IOException {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.EXTRAS.values);
    List<JsonNode[]> workloads = workloads(chart);

    assertThat(workloads).hasSizeGreaterThanOrEqualTo(2);
    for (JsonNode[] w : workloads) {
      JsonNode container = w[1];
      String ca = HelmChartTest.mountAt(container, "/etc/pgbridge/pg-ca");
      assertThat(HelmChartTest.volume(w[0], ca).path("secret").path("secretName").asText())
          .isEqualTo("pg-ca");
      String logging = HelmChartTest.mountAt(container, "/etc/pgbridge/logback");
      assertThat(HelmChartTest.volume(w[0], logging).path("configMap").path("name").asText())
          .isEqualTo("pgbridge-logback");
      assertThat(container.path("envFrom").findValuesAsText("name")).contains("pgbridge-env");
      assertThat(HelmChartTest.envValue(container, "PGBRIDGE_DEBOUNCE_MS")).isEqualTo("50");
      // the chart's own mounts stay
      HelmChartTest.mountAt(container, "/etc/pgbridge/pgbridge.properties");
      HelmChartTest.mountAt(container, "/tmp");
    }
    BridgeConfig config = HelmChartTest.load(tmp, chart, RenderedChart.FULLNAME,
        chart.bridgeContainer());
    assertThat(config.debounceMs()).isEqualTo(50);
    assertThat(config.databaseUrl()).contains("sslrootcert=/etc/pgbridge/pg-ca/ca.crt");
  }
}
