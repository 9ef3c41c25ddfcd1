package io.pgbridge.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.pgbridge.config.BridgeConfig;
import io.pgbridge.config.ConfigLoader;
import io.pgbridge.http.AdminServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Lints the Helm chart strictly, renders it with several value sets and checks the manifests
 * against the application itself: its configuration loader, its HTTP paths and its metric names.
 */
class HelmChartTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  @ParameterizedTest
  @EnumSource(ValueSets.class)
  void chartPassesStrictLintWithEveryValueSet(ValueSets set) {
    LintResult result = RenderedChart.lint(tmp, set.values);

    assertThat(result.isFailed()).as("lint failed: %s", result.getMessages()).isFalse();
    assertThat(result.getMessages()).noneMatch(m -> m.contains("[WARNING]")
        || m.contains("[ERROR]") || m.contains("Fail:"));
  }

  @ParameterizedTest
  @EnumSource(ValueSets.class)
  void renderedPropertiesContainOnlySettingsTheBridgeDeclares(ValueSets set) {
    RenderedChart chart = RenderedChart.render(tmp, set.values);

    Properties props = RenderedChart.parse(chart.propertiesText(RenderedChart.FULLNAME));

    assertThat(props.stringPropertyNames()).isNotEmpty()
        .allSatisfy(key -> assertThat(BridgeConfig.isKnownKey(key)).as("known key %s", key).isTrue());
  }

  @ParameterizedTest
  @EnumSource(ValueSets.class)
  void renderedPropertiesAndEnvironmentPassTheConfigLoader(ValueSets set) throws IOException {
    RenderedChart chart = RenderedChart.render(tmp, set.values);

    BridgeConfig config = load(chart, RenderedChart.FULLNAME, chart.bridgeContainer());

    assertThat(config.httpPort()).isEqualTo(containerPort(chart.bridgeContainer(), "http"));
  }

  @Test
  void defaultsWriteTheDocumentedKeysAndNameTheBridgeAfterTheRelease() throws IOException {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.DEFAULTS.values);

    Properties props = RenderedChart.parse(chart.propertiesText(RenderedChart.FULLNAME));
    assertThat(props.stringPropertyNames()).contains("database.url", "database.user",
        "kafka.bootstrap.servers", "topic", "listen.channel", "debounce.ms", "debounce.max.ms",
        "value.format", "catchup.initial", "http.port", "bridge.id");
    BridgeConfig config = load(chart, RenderedChart.FULLNAME, chart.bridgeContainer());
    assertThat(config.topic()).isEqualTo("generation-state");
    assertThat(config.channel()).isEqualTo("generation_updates");
    assertThat(config.debounceMs()).isEqualTo(100);
    assertThat(config.debounceMaxMs()).isEqualTo(1000);
    assertThat(config.valueFormat()).isEqualTo(BridgeConfig.ValueFormat.ENVELOPE);
    assertThat(config.catchupInitialAll()).isTrue();
    assertThat(config.httpPort()).isEqualTo(8080);
    assertThat(config.bridgeId()).isEqualTo(RenderedChart.FULLNAME);
  }

  @Test
  void customConfigReachesTheBridgeUnchanged() throws IOException {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.SCALED_CUSTOM.values);

    BridgeConfig config = load(chart, RenderedChart.FULLNAME, chart.bridgeContainer());

    assertThat(chart.deployment().path("spec").path("replicas").asInt()).isEqualTo(3);
    assertThat(config.bridgeId()).isEqualTo("generation-state-eu");
    assertThat(config.debounceMs()).isEqualTo(250);
    assertThat(config.debounceMaxMs()).isEqualTo(5000);
    assertThat(config.valueFormat()).isEqualTo(BridgeConfig.ValueFormat.RAW);
    assertThat(config.catchupInitialAll()).isFalse();
    assertThat(config.httpPort()).isEqualTo(9090);
    assertThat(config.shutdownTimeoutMs()).isEqualTo(60_000);
    // Large YAML numbers arrive in Helm as floats; they must not be written as 2e+06.
    assertThat(config.versionCacheSize()).isEqualTo(2_000_000);
    assertThat(config.databaseUrl()).endsWith("?sslmode=verify-full");
    assertThat(config.kafkaClientProperties())
        .containsEntry("linger.ms", "5")
        .containsEntry("compression.type", "zstd")
        .containsEntry("client.id", "pgbridge\\eu");
  }

  @Test
  void secretsComeFromExistingSecretsAndTlsStoresAreMountedWhereTheConfigPoints()
      throws IOException {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.SECURED_KAFKA.values);
    JsonNode container = chart.bridgeContainer();

    BridgeConfig config = load(chart, RenderedChart.FULLNAME, container);

    assertThat(config.databasePassword().value()).isEqualTo(dummy("pg-credentials", "pw"));
    Map<String, Object> kafka = config.kafkaClientProperties();
    assertThat(kafka)
        .containsEntry("bootstrap.servers", "kafka-0.kafka:9093,kafka-1.kafka:9093")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
        .containsEntry("sasl.jaas.config", dummy("kafka-user", "sasl.jaas.config"))
        .containsEntry("ssl.truststore.location", "/etc/pgbridge/kafka-tls/ca.p12")
        .containsEntry("ssl.truststore.password", dummy("kafka-tls", "ca.password"))
        .containsEntry("ssl.keystore.location", "/etc/pgbridge/kafka-tls/user.p12")
        .containsEntry("ssl.keystore.password", dummy("kafka-tls", "user.password"))
        .containsEntry("ssl.key.password", dummy("kafka-tls", "user.password"));
    // No secret is written into the ConfigMap.
    assertThat(chart.propertiesText(RenderedChart.FULLNAME))
        .doesNotContain("password", "jaas", dummy("kafka-user", "sasl.jaas.config"));
    // The stores are files of the mounted Secret.
    String volume = mountAt(container, "/etc/pgbridge/kafka-tls");
    JsonNode secretVolume = volume(chart.deployment(), volume).path("secret");
    assertThat(secretVolume.path("secretName").asText()).isEqualTo("kafka-tls");
    assertThat(mountNamed(container, volume).path("readOnly").asBoolean()).isTrue();
  }

  @ParameterizedTest
  @EnumSource(ValueSets.class)
  void probesUseTheAdminServerPathsOnTheConfiguredHttpPort(ValueSets set) {
    RenderedChart chart = RenderedChart.render(tmp, set.values);
    JsonNode container = chart.bridgeContainer();
    int httpPort = Integer.parseInt(RenderedChart.parse(
        chart.propertiesText(RenderedChart.FULLNAME)).getProperty("http.port"));

    assertThat(container.path("livenessProbe").path("httpGet").path("path").asText())
        .isEqualTo(AdminServer.HEALTH_PATH);
    assertThat(container.path("startupProbe").path("httpGet").path("path").asText())
        .isEqualTo(AdminServer.HEALTH_PATH);
    assertThat(container.path("readinessProbe").path("httpGet").path("path").asText())
        .isEqualTo(AdminServer.READY_PATH);
    for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
      JsonNode port = container.path(probe).path("httpGet").path("port");
      assertThat(resolvePort(container, port)).as(probe).isEqualTo(httpPort);
    }
  }

  @ParameterizedTest
  @EnumSource(ValueSets.class)
  void serviceTargetsTheHttpPortOfTheBridgePods(ValueSets set) {
    RenderedChart chart = RenderedChart.render(tmp, set.values);
    JsonNode service = chart.get("Service", RenderedChart.FULLNAME);
    JsonNode port = service.path("spec").path("ports").get(0);
    int httpPort = Integer.parseInt(RenderedChart.parse(
        chart.propertiesText(RenderedChart.FULLNAME)).getProperty("http.port"));

    assertThat(port.path("name").asText()).isEqualTo("http");
    assertThat(resolvePort(chart.bridgeContainer(), port.path("targetPort"))).isEqualTo(httpPort);
    assertThat(labels(chart.deployment().path("spec").path("template")))
        .containsAllEntriesOf(toMap(service.path("spec").path("selector")));
  }

  @Test
  void serviceMonitorScrapesTheMetricsPathOfTheServicePort() {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.MONITORING.values);
    JsonNode monitor = chart.get("ServiceMonitor", RenderedChart.FULLNAME);
    JsonNode service = chart.get("Service", RenderedChart.FULLNAME);

    JsonNode endpoint = monitor.path("spec").path("endpoints").get(0);
    assertThat(endpoint.path("port").asText())
        .isEqualTo(service.path("spec").path("ports").get(0).path("name").asText());
    assertThat(endpoint.path("path").asText()).isEqualTo(AdminServer.METRICS_PATH);
    assertThat(labels(service)).containsAllEntriesOf(
        toMap(monitor.path("spec").path("selector").path("matchLabels")));
    assertThat(labels(monitor)).containsEntry("release", "prometheus");
  }

  @Test
  void monitoringResourcesAreOptional() {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.DEFAULTS.values);

    assertThat(chart.ofKind("ServiceMonitor")).isEmpty();
    assertThat(chart.ofKind("PodMonitor")).isEmpty();
    assertThat(chart.ofKind("NetworkPolicy")).isEmpty();
    assertThat(chart.ofKind("PrometheusRule")).isEmpty();
    assertThat(chart.find("ConfigMap", RenderedChart.FULLNAME + "-dashboard")).isEmpty();
    assertThat(chart.ofKind("Job")).isEmpty();
  }

  @Test
  void alertsReferenceOnlyMetricsTheBridgeExports() {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.MONITORING.values);
    JsonNode rules = chart.get("PrometheusRule", RenderedChart.FULLNAME);

    Map<String, String> alerts = new LinkedHashMap<>();
    for (JsonNode group : rules.path("spec").path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        alerts.put(rule.path("alert").asText(), rule.path("expr").asText());
      }
    }

    assertThat(alerts).containsOnlyKeys("PgbridgeNoLeader", "PgbridgeListenerDisconnected",
        "PgbridgeLagHigh", "PgbridgeRecordsDeadLettered", "PgbridgeNotificationQueueFilling",
        "PgbridgeCheckpointStale", "PgbridgeNothingAcknowledged", "PgbridgeWalSlotLagHigh",
        "PgbridgeWalRetainedHigh", "PgbridgeWalConfirmedLsnStalled", "PgbridgeWalSlotRecreated");
    alerts.forEach((alert, expr) -> {
      Set<String> metrics = MetricsContract.metricsIn(expr);
      assertThat(metrics).as("%s: %s", alert, expr).isNotEmpty()
          .allMatch(MetricsContract::isKnown, "is an exported metric")
          .allMatch(m -> m.startsWith("pgbridge_"));
      // Scoped to this bridge: the 'bridge' tag carries bridge.id.
      assertThat(expr).as(alert).contains("bridge=\"" + RenderedChart.FULLNAME + "\"");
    });
    assertThat(alerts.get("PgbridgeNoLeader")).contains("(pgbridge_leader{").contains("< 1");
    assertThat(MetricsContract.metricsIn(alerts.get("PgbridgeLagHigh")))
        .containsExactly("pgbridge_lag_notification_to_ack_seconds_bucket");
    assertThat(alerts.get("PgbridgeLagHigh")).contains("histogram_quantile(0.99").endsWith("> 2.5");
    assertThat(alerts.get("PgbridgeNotificationQueueFilling")).endsWith("> 0.5");
    assertThat(MetricsContract.metricsIn(alerts.get("PgbridgeCheckpointStale")))
        .contains("pgbridge_checkpoint_age_seconds");
    assertThat(MetricsContract.metricsIn(alerts.get("PgbridgeRecordsDeadLettered")))
        .containsExactly("pgbridge_records_deadlettered_total");
    assertThat(MetricsContract.metricsIn(alerts.get("PgbridgeListenerDisconnected")))
        .containsExactly("pgbridge_listener_connected");
    // leader, notifications arriving, sessions waiting, and nothing acknowledged
    assertThat(MetricsContract.metricsIn(alerts.get("PgbridgeNothingAcknowledged")))
        .containsExactlyInAnyOrder("pgbridge_last_ack_age_seconds", "pgbridge_leader",
            "pgbridge_last_notification_age_seconds", "pgbridge_dirty_sessions",
            "pgbridge_inflight_sessions");
    assertThat(alerts.get("PgbridgeNothingAcknowledged")).contains("pgbridge_leader{")
        .contains("== 1").contains("pgbridge_last_notification_age_seconds{")
        .contains("} < 60)").endsWith("> 120");
  }

  @Test
  void metricScannerFindsUnknownMetrics() {
    // Guards the alert and dashboard checks against a scanner that finds nothing.
    Set<String> found = MetricsContract.metricsIn(
        "sum by (kind) (rate(pgbridge_errorz_total{bridge=\"a\",kind=~\"x|y\"}[5m]))"
            + " / on (pod) group_left max(up) > 0.5");
    assertThat(found).containsExactlyInAnyOrder("pgbridge_errorz_total", "up");
    assertThat(found).noneMatch(MetricsContract::isKnown);
  }

  @Test
  void dashboardIsDiscoverableByGrafanaAndQueriesOnlyBridgeMetrics() throws IOException {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.MONITORING.values);
    JsonNode configMap = chart.get("ConfigMap", RenderedChart.FULLNAME + "-dashboard");

    assertThat(labels(configMap)).containsEntry("grafana_dashboard", "1");
    assertThat(configMap.path("metadata").path("namespace").asText()).isEqualTo("monitoring");
    JsonNode dashboard = JSON.readTree(configMap.path("data").path("pgbridge.json").asText());
    assertThat(dashboard.path("uid").asText()).isEqualTo("pgbridge");

    List<String> titles = new ArrayList<>();
    Map<String, List<String>> exprsByPanel = new LinkedHashMap<>();
    for (JsonNode panel : dashboard.path("panels")) {
      titles.add(panel.path("title").asText());
      for (JsonNode target : panel.path("targets")) {
        exprsByPanel.computeIfAbsent(panel.path("title").asText(), t -> new ArrayList<>())
            .add(target.path("expr").asText());
      }
    }
    assertThat(titles).contains("Throughput", "Lag: notification to Kafka ack",
        "Coalescing ratio (notifications per record)", "Dirty and in-flight sessions",
        "Errors by kind", "Leader per pod", "Lag by stage p50", "Lag by stage p99",
        "Freshness (leader)", "Heartbeats and republish");
    exprsByPanel.forEach((title, exprs) -> exprs.forEach(expr ->
        assertThat(MetricsContract.metricsIn(expr)).as("%s: %s", title, expr).isNotEmpty()
            .allMatch(m -> m.startsWith("pgbridge_"))
            .allMatch(MetricsContract::isKnown, "is an exported metric")));
    assertThat(String.join("\n", exprsByPanel.get("Throughput")))
        .contains("pgbridge_records_published_total", "pgbridge_notifications_received_total");
    assertThat(String.join("\n", exprsByPanel.get("Lag: notification to Kafka ack")))
        .contains("histogram_quantile(0.5,", "histogram_quantile(0.95,", "histogram_quantile(0.99,");
    assertThat(exprsByPanel.get("Coalescing ratio (notifications per record)").get(0))
        .matches(".*pgbridge_notifications_received_total.*/.*pgbridge_records_published_total.*");
    assertThat(String.join("\n", exprsByPanel.get("Errors by kind"))).contains("by (kind)");
    assertThat(String.join("\n", exprsByPanel.get("Leader per pod")))
        .contains("by (pod)", "pgbridge_leader");
    for (String stages : List.of("Lag by stage p50", "Lag by stage p99")) {
      assertThat(exprsByPanel.get(stages)).hasSize(4);
      assertThat(String.join("\n", exprsByPanel.get(stages))).contains(
          "pgbridge_lag_notification_to_fetch_seconds_bucket", "pgbridge_fetch_duration_seconds_bucket",
          "pgbridge_produce_duration_seconds_bucket", "pgbridge_lag_notification_to_ack_seconds_bucket");
    }
    assertThat(String.join("\n", exprsByPanel.get("Freshness (leader)")))
        .contains("pgbridge_last_notification_age_seconds", "pgbridge_last_ack_age_seconds");
  }

  @ParameterizedTest
  @EnumSource(ValueSets.class)
  void podsRunRestrictedWithAWritableTmpOnly(ValueSets set) {
    RenderedChart chart = RenderedChart.render(tmp, set.values);
    List<JsonNode> workloads = chart.workloads();

    assertThat(workloads).hasSizeGreaterThanOrEqualTo(2);
    for (JsonNode workload : workloads) {
      JsonNode podSpec = RenderedChart.podSpec(workload);
      assertThat(podSpec.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
      assertThat(podSpec.path("securityContext").path("seccompProfile").path("type").asText())
          .isEqualTo("RuntimeDefault");
      assertThat(podSpec.path("automountServiceAccountToken").asBoolean(true)).isFalse();
      for (JsonNode container : podSpec.path("containers")) {
        JsonNode sc = container.path("securityContext");
        assertThat(sc.path("runAsNonRoot").asBoolean()).isTrue();
        assertThat(sc.path("runAsUser").asInt()).isEqualTo(10001);
        assertThat(sc.path("readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(sc.path("allowPrivilegeEscalation").asBoolean(true)).isFalse();
        assertThat(sc.path("capabilities").path("drop")).extracting(JsonNode::asText)
            .containsExactly("ALL");
        assertThat(sc.path("capabilities").has("add")).isFalse();
        assertThat(sc.path("seccompProfile").path("type").asText()).isEqualTo("RuntimeDefault");
        String tmpVolume = mountAt(container, "/tmp");
        assertThat(volume(workload, tmpVolume).has("emptyDir")).isTrue();
        assertThat(container.path("resources").path("limits").path("memory").isMissingNode())
            .isFalse();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(ValueSets.class)
  void kubeletWaitsLongerThanTheBridgeShutdown(ValueSets set) throws IOException {
    RenderedChart chart = RenderedChart.render(tmp, set.values);

    BridgeConfig config = load(chart, RenderedChart.FULLNAME, chart.bridgeContainer());
    long graceMs = chart.deployment().path("spec").path("template").path("spec")
        .path("terminationGracePeriodSeconds").asLong() * 1000;

    assertThat(graceMs).isGreaterThan(config.shutdownTimeoutMs());
  }

  @Test
  void deploymentRunsLeaderAndStandbyBehindADisruptionBudget() {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.DEFAULTS.values);
    JsonNode spec = chart.deployment().path("spec");
    JsonNode pdb = chart.get("PodDisruptionBudget", RenderedChart.FULLNAME);

    assertThat(spec.path("replicas").asInt()).isEqualTo(2);
    assertThat(spec.path("strategy").path("type").asText()).isEqualTo("RollingUpdate");
    assertThat(pdb.path("spec").path("minAvailable").asInt()).isEqualTo(1);
    assertThat(labels(spec.path("template")))
        .containsAllEntriesOf(toMap(pdb.path("spec").path("selector").path("matchLabels")))
        .containsAllEntriesOf(toMap(spec.path("selector").path("matchLabels")));
    assertThat(RenderedChart.container(chart.deployment(), "pgbridge").path("args"))
        .extracting(JsonNode::asText)
        .containsExactly("run", "--config", "/etc/pgbridge/pgbridge.properties");
  }

  @Test
  void singleReplicaGetsNoDisruptionBudgetThatWouldBlockDrains() {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.defaultsWith(Map.of("replicaCount", 1)));

    assertThat(chart.ofKind("PodDisruptionBudget")).isEmpty();
  }

  @Test
  void configChangeRollsThePods() {
    String before = checksum(RenderedChart.render(tmp, ValueSets.DEFAULTS.values));
    String same = checksum(RenderedChart.render(tmp, ValueSets.defaultsWith(Map.of("replicaCount", 5))));
    String after = checksum(RenderedChart.render(tmp,
        ValueSets.defaultsWith(Map.of("config", Map.of("debounce.ms", 101)))));

    assertThat(before).matches("[0-9a-f]{64}").isEqualTo(same);
    assertThat(after).matches("[0-9a-f]{64}").isNotEqualTo(before);
  }

  @Test
  void everyResourceCarriesTheStandardLabels() {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.MONITORING.values);

    assertThat(chart.documents).allSatisfy(doc -> assertThat(labels(doc))
        .containsEntry("app.kubernetes.io/name", "pgbridge")
        .containsEntry("app.kubernetes.io/instance", RenderedChart.RELEASE)
        .containsEntry("app.kubernetes.io/managed-by", "Helm")
        .containsEntry("app.kubernetes.io/version", "0.1.0")
        .containsKey("helm.sh/chart"));
  }

  @Test
  void migrationsRunAsAHookWithTheSameConfigurationBeforeTheBridge() throws IOException {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.MIGRATIONS.values);
    String hookName = RenderedChart.FULLNAME + "-migrate";
    JsonNode job = chart.get("Job", hookName);
    JsonNode hookConfig = chart.get("ConfigMap", hookName);
    JsonNode container = RenderedChart.container(job, "migrate");

    assertThat(job.path("metadata").path("annotations").path(RenderedChart.HOOK_PREFIX).asText())
        .isEqualTo("pre-install,pre-upgrade");
    assertThat(hookConfig.path("metadata").path("annotations").path(RenderedChart.HOOK_PREFIX).asText())
        .isEqualTo("pre-install,pre-upgrade");
    assertThat(Integer.parseInt(hookConfig.path("metadata").path("annotations")
        .path(RenderedChart.HOOK_PREFIX + "-weight").asText()))
        .isLessThan(Integer.parseInt(job.path("metadata").path("annotations")
            .path(RenderedChart.HOOK_PREFIX + "-weight").asText()));
    assertThat(container.path("args")).extracting(JsonNode::asText)
        .containsExactly("migrate", "--config", "/etc/pgbridge/pgbridge.properties");
    assertThat(job.path("spec").path("template").path("spec").path("restartPolicy").asText())
        .isEqualTo("Never");
    assertThat(chart.propertiesText(hookName))
        .isEqualTo(chart.propertiesText(RenderedChart.FULLNAME));
    assertThat(volume(job, mountAt(container, "/etc/pgbridge/pgbridge.properties"))
        .path("configMap").path("name").asText()).isEqualTo(hookName);
    BridgeConfig config = load(chart, hookName, container);
    assertThat(config.databasePassword().value()).isEqualTo(dummy("pg-credentials", "password"));
  }

  @Test
  void schemaRejectsValuesOfTheWrongType() {
    assertThatThrownBy(() -> RenderedChart.render(tmp, Map.of("replicaCount", "two")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("replicaCount");
    assertThatThrownBy(() -> RenderedChart.render(tmp,
        Map.of("config", Map.of("debounce.ms", "fast"))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("debounce.ms");
    assertThatThrownBy(() -> RenderedChart.render(tmp,
        Map.of("serviceMonitor", Map.of("enabled", "yes"))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("serviceMonitor");
    assertThatThrownBy(() -> RenderedChart.render(tmp, Map.of("replicas", 2)))
        .as("misspelt key").isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("replicas");
  }

  @Test
  void theDatabasePasswordIsRefusedInPlainValues() {
    assertThatThrownBy(() -> RenderedChart.render(tmp,
        ValueSets.defaultsWith(Map.of("config", Map.of("database.password", "hunter2")))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("config database.password is a secret")
        .hasMessageContaining("database.passwordSecret")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void renderingFailsWhenTheKubeletWouldKillAShutdownInProgress() {
    assertThatThrownBy(() -> RenderedChart.render(tmp, ValueSets.defaultsWith(Map.of(
        "terminationGracePeriodSeconds", 30, "config", Map.of("shutdown.timeout.ms", 30000)))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("terminationGracePeriodSeconds");
  }

  // --- helpers -------------------------------------------------------------------------------

  /**
   * Loads the ConfigMap's properties as the container would: the file plus the container's
   * PGBRIDGE_* environment, with dummy values for secret references. Also checks that every
   * PGBRIDGE_* variable maps to a known key, because the loader ignores the others silently.
   */
  private BridgeConfig load(RenderedChart chart, String configMap, JsonNode container)
      throws IOException {
    return load(tmp, chart, configMap, container);
  }

  static BridgeConfig load(Path tmp, RenderedChart chart, String configMap, JsonNode container)
      throws IOException {
    Path file = Files.createTempFile(tmp, "pgbridge-", ".properties");
    Files.writeString(file, chart.propertiesText(configMap), StandardCharsets.UTF_8);
    Map<String, String> env = new HashMap<>();
    for (JsonNode var : container.path("env")) {
      String name = var.path("name").asText();
      JsonNode ref = var.path("valueFrom").path("secretKeyRef");
      String value = ref.isMissingNode() ? var.path("value").asText()
          : name.equals("PGBRIDGE_DATABASE_URL")
              ? dummyUrl(ref.path("name").asText(), ref.path("key").asText())
              : dummy(ref.path("name").asText(), ref.path("key").asText());
      env.put(name, value);
      if (name.startsWith(ConfigLoader.ENV_PREFIX)) {
        String key = name.substring(ConfigLoader.ENV_PREFIX.length()).toLowerCase().replace('_', '.');
        assertThat(BridgeConfig.isKnownKey(key)).as("%s maps to known key %s", name, key).isTrue();
      }
    }
    return ConfigLoader.load(file, env);
  }

  static String dummy(String secret, String key) {
    return "dummy-" + secret + "-" + key;
  }

  /** What a Secret holding a JDBC URL would give: a URL that names the Secret. */
  static String dummyUrl(String secret, String key) {
    return "jdbc:postgresql://" + secret + ":5432/" + key;
  }

  static int containerPort(JsonNode container, String name) {
    for (JsonNode port : container.path("ports")) {
      if (name.equals(port.path("name").asText())) {
        return port.path("containerPort").asInt();
      }
    }
    throw new AssertionError("no port " + name + " in " + container);
  }

  private static int resolvePort(JsonNode container, JsonNode port) {
    return port.isInt() ? port.asInt() : containerPort(container, port.asText());
  }

  static String mountAt(JsonNode container, String path) {
    for (JsonNode mount : container.path("volumeMounts")) {
      if (path.equals(mount.path("mountPath").asText())) {
        return mount.path("name").asText();
      }
    }
    throw new AssertionError("nothing mounted at " + path + " in " + container);
  }

  static JsonNode mountNamed(JsonNode container, String volume) {
    for (JsonNode mount : container.path("volumeMounts")) {
      if (volume.equals(mount.path("name").asText())) {
        return mount;
      }
    }
    throw new AssertionError("volume " + volume + " not mounted in " + container);
  }

  static JsonNode volume(JsonNode workload, String name) {
    for (JsonNode volume : RenderedChart.podSpec(workload).path("volumes")) {
      if (name.equals(volume.path("name").asText())) {
        return volume;
      }
    }
    throw new AssertionError("no volume " + name + " in " + workload);
  }

  static String envValue(JsonNode container, String name) {
    for (JsonNode var : container.path("env")) {
      if (name.equals(var.path("name").asText())) {
        return var.path("value").asText();
      }
    }
    throw new AssertionError("no env " + name + " in " + container);
  }

  static Map<String, String> labels(JsonNode resource) {
    return toMap(resource.path("metadata").path("labels"));
  }

  static Map<String, String> toMap(JsonNode object) {
    Map<String, String> out = new LinkedHashMap<>();
    object.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }

  private static String checksum(RenderedChart chart) {
    return chart.deployment().path("spec").path("template").path("metadata")
        .path("annotations").path("checksum/config").asText();
  }
}
