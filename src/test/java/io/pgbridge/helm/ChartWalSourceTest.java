package io.pgbridge.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgbridge.config.BridgeConfig;
import io.pgbridge.source.SourceMode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart for a bridge reading the WAL ({@code source.mode=wal}): the settings reach the
 * bridge and the migration Job, the four WAL alerts take their thresholds from the values and
 * are gated on {@code pgbridge_source_info{mode="wal"}} (a NOTIFY bridge never exports that
 * series, so it never fires them), and the dashboard has the WAL panels, gated the same way.
 */
class ChartWalSourceTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> WAL_ALERTS = List.of("PgbridgeWalSlotLagHigh",
      "PgbridgeWalRetainedHigh", "PgbridgeWalConfirmedLsnStalled", "PgbridgeWalSlotRecreated");
  private static final String SELECTOR = "namespace=\"bridges\",bridge=\""
      + RenderedChart.FULLNAME + "\"";
  private static final String WAL_GATE = "and on (namespace, pod) (pgbridge_source_info{"
      + SELECTOR + ",mode=\"wal\"} == 1)";
  private static final String LEADER_GATE = "and on (namespace, pod) (pgbridge_leader{"
      + SELECTOR + "} == 1)";

  @TempDir
  Path tmp;

  private Map<String, JsonNode> alerts(Map<String, Object> values) {
    JsonNode rule = RenderedChart.render(tmp, values).get("PrometheusRule", RenderedChart.FULLNAME);
    Map<String, JsonNode> out = new LinkedHashMap<>();
    rule.path("spec").path("groups")
        .forEach(g -> g.path("rules").forEach(r -> out.put(r.path("alert").asText(), r)));
    return out;
  }

  @Test
  void walSettingsReachTheBridgeAndTheMigrationJob() throws IOException {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.WAL_SOURCE.values);

    BridgeConfig config = HelmChartTest.load(tmp, chart, RenderedChart.FULLNAME,
        chart.bridgeContainer());
    assertThat(config.sourceMode()).isEqualTo(SourceMode.WAL);
    assertThat(config.walSlotName()).isEqualTo("pgbridge_generation_eu");
    assertThat(config.walPublicationName()).isEqualTo("pgbridge_generation");
    assertThat(config.walStatusIntervalMs()).isEqualTo(500);
    assertThat(config.walSlotFailover()).isTrue();
    // 'pgbridge migrate' defaults --source-mode to the configured source.mode
    String hook = RenderedChart.FULLNAME + "-migrate";
    assertThat(chart.find("Job", hook)).isPresent();
    Properties props = RenderedChart.parse(chart.propertiesText(hook));
    assertThat(props).containsEntry("source.mode", "wal")
        .containsEntry("wal.publication.name", "pgbridge_generation");
  }

  @Test
  void defaultsLeaveTheSourceModeToTheBridgeDefaultNotify() throws IOException {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.DEFAULTS.values);

    Properties props = RenderedChart.parse(chart.propertiesText(RenderedChart.FULLNAME));
    assertThat(props.stringPropertyNames()).noneMatch(k -> k.equals("source.mode")
        || k.startsWith("wal."));
    assertThat(HelmChartTest.load(tmp, chart, RenderedChart.FULLNAME, chart.bridgeContainer())
        .sourceMode()).isEqualTo(SourceMode.NOTIFY);
  }

  @Test
  void schemaRejectsAnUnknownModeAndAnInvalidSlotName() {
    assertThatThrownBy(() -> RenderedChart.render(tmp, ValueSets.defaultsWith(
        Map.of("config", Map.of("source.mode", "logical")))))
        .hasMessageContaining("source.mode");
    assertThatThrownBy(() -> RenderedChart.render(tmp, ValueSets.defaultsWith(
        Map.of("config", Map.of("wal.slot.name", "Pgbridge-Slot")))))
        .hasMessageContaining("wal.slot.name");
    assertThatThrownBy(() -> RenderedChart.render(tmp, ValueSets.defaultsWith(
        Map.of("config", Map.of("wal.status.interval.ms", 50)))))
        .hasMessageContaining("wal.status.interval.ms");
  }

  @Test
  void walAlertsAreGatedOnTheWalSourceSoNotifyBridgesNeverFireThem() {
    Map<String, JsonNode> alerts = alerts(ValueSets.MONITORING.values);

    assertThat(alerts).containsKeys(WAL_ALERTS.toArray(String[]::new));
    for (String alert : WAL_ALERTS) {
      String expr = alerts.get(alert).path("expr").asText();
      // the gate is a conjunction inside the aggregation: no WAL source series, no result
      assertThat(expr).as(alert).contains(WAL_GATE).doesNotContain(" or ").doesNotContain("unless").doesNotContain("absent(");
    }
    // the slot's gauges describe the slot the leader streams from; a standby's are not news
    for (String alert : List.of("PgbridgeWalSlotLagHigh", "PgbridgeWalRetainedHigh",
        "PgbridgeWalConfirmedLsnStalled")) {
      assertThat(alerts.get(alert).path("expr").asText()).as(alert).contains(LEADER_GATE);
    }
    // a re-creation is news from whichever pod did it
    assertThat(alerts.get("PgbridgeWalSlotRecreated").path("expr").asText())
        .doesNotContain("pgbridge_leader");
    // the alerts of the other source stay as they were
    assertThat(alerts.get("PgbridgeNotificationQueueFilling").path("expr").asText())
        .doesNotContain("pgbridge_source_info");
  }

  @Test
  void walAlertsUseTheDocumentedDefaultThresholds() {
    Map<String, JsonNode> alerts = alerts(ValueSets.MONITORING.values);

    assertAlert(alerts, "PgbridgeWalSlotLagHigh", "pgbridge_wal_slot_lag_bytes",
        "> 1073741824", "10m", "warning");
    assertAlert(alerts, "PgbridgeWalRetainedHigh", "pgbridge_wal_retained_bytes",
        "> 5368709120", "10m", "warning");
    assertAlert(alerts, "PgbridgeWalConfirmedLsnStalled",
        "pgbridge_wal_confirmed_lsn_age_seconds", "> 120", "5m", "critical");
    assertAlert(alerts, "PgbridgeWalSlotRecreated", "pgbridge_wal_slot_recreated_total",
        "> 0", "1m", "warning");
    assertThat(alerts.get("PgbridgeWalSlotRecreated").path("expr").asText())
        .contains("[1h]").contains("by (namespace, pod, bridge, reason)");
  }

  @Test
  void walAlertThresholdsAndDurationsComeFromTheValues() {
    Map<String, JsonNode> alerts = alerts(ValueSets.WAL_SOURCE.values);

    // large byte counts arrive in Helm as floats and must not be written as 2.147483648e+10
    assertAlert(alerts, "PgbridgeWalSlotLagHigh", "pgbridge_wal_slot_lag_bytes",
        "> 268435456", "3m", "warning");
    assertAlert(alerts, "PgbridgeWalRetainedHigh", "pgbridge_wal_retained_bytes",
        "> 21474836480", "15m", "warning");
    assertAlert(alerts, "PgbridgeWalConfirmedLsnStalled",
        "pgbridge_wal_confirmed_lsn_age_seconds", "> 45", "2m", "critical");
    assertAlert(alerts, "PgbridgeWalSlotRecreated", "pgbridge_wal_slot_recreated_total",
        "> 0", "30s", "warning");
    assertThat(alerts.get("PgbridgeWalSlotRecreated").path("expr").asText()).contains("[6h]");
    assertThat(alerts.get("PgbridgeWalSlotLagHigh").path("annotations").path("summary").asText())
        .contains("threshold 268435456 bytes");
  }

  private static void assertAlert(Map<String, JsonNode> alerts, String alert, String metric,
      String comparison, String forDuration, String severity) {
    JsonNode rule = alerts.get(alert);
    assertThat(rule).as(alert).isNotNull();
    String expr = rule.path("expr").asText();
    assertThat(MetricsContract.metricsIn(expr)).as(alert).contains(metric, "pgbridge_source_info");
    assertThat(expr).as(alert).contains(metric + "{" + SELECTOR + "}").endsWith(comparison);
    assertThat(rule.path("for").asText()).as(alert).isEqualTo(forDuration);
    assertThat(rule.path("labels").path("severity").asText()).as(alert).isEqualTo(severity);
  }

  @Test
  void dashboardHasTheWalPanelsGatedOnTheWalSource() throws IOException {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.WAL_SOURCE.values);
    JsonNode dashboard = JSON.readTree(chart.get("ConfigMap", RenderedChart.FULLNAME
        + "-dashboard").path("data").path("pgbridge.json").asText());

    Map<String, List<String>> exprs = new LinkedHashMap<>();
    Map<String, String> units = new LinkedHashMap<>();
    for (JsonNode panel : dashboard.path("panels")) {
      String title = panel.path("title").asText();
      if (!title.startsWith("WAL ")) {
        continue;
      }
      units.put(title, panel.path("fieldConfig").path("defaults").path("unit").asText());
      List<String> list = new ArrayList<>();
      panel.path("targets").forEach(t -> list.add(t.path("expr").asText()));
      exprs.put(title, list);
    }
    assertThat(exprs).containsOnlyKeys("WAL source (source.mode=wal)",
        "WAL slot lag and retained WAL (leader)", "WAL confirmed position age (leader)",
        "WAL changes decoded by table and operation", "WAL slot re-created");
    assertThat(exprs.get("WAL source (source.mode=wal)")).isEmpty(); // the row header
    exprs.remove("WAL source (source.mode=wal)");
    exprs.forEach((title, list) -> assertThat(list).as(title).isNotEmpty().allSatisfy(e ->
        assertThat(e).contains("pgbridge_source_info{bridge=~\"$bridge\","
            + " namespace=~\"$namespace\", mode=\"wal\"} == 1")));
    assertThat(String.join("\n", exprs.get("WAL slot lag and retained WAL (leader)")))
        .contains("pgbridge_wal_slot_lag_bytes{", "pgbridge_wal_retained_bytes{");
    assertThat(units.get("WAL slot lag and retained WAL (leader)")).isEqualTo("bytes");
    assertThat(exprs.get("WAL confirmed position age (leader)").get(0))
        .contains("pgbridge_wal_confirmed_lsn_age_seconds{");
    assertThat(units.get("WAL confirmed position age (leader)")).isEqualTo("s");
    assertThat(exprs.get("WAL changes decoded by table and operation").get(0))
        .contains("sum by (table, op) (rate(pgbridge_wal_changes_total{");
    assertThat(exprs.get("WAL slot re-created").get(0))
        .contains("sum by (reason) (increase(pgbridge_wal_slot_recreated_total{");
  }
}
