package io.pgbridge.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgbridge.config.BridgeConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
  void helmTestCanBeLeftOut() {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.defaultsWith(
        java.util.Map.of("helmTest", java.util.Map.of("enabled", false))));

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
