package io.pgbridge.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every alert is actionable on its own: a {@code for}, a {@code severity}, a summary naming
 * the pod (or the bridge) and the value, and a runbook_url that lands on the alert's row in
 * the README's alert table.
 */
class ChartAlertsTest {

  private static final String README = "README.md";

  @TempDir
  Path tmp;

  private List<JsonNode> rules(Map<String, Object> values) {
    JsonNode rule = RenderedChart.render(tmp, values)
        .get("PrometheusRule", RenderedChart.FULLNAME);
    List<JsonNode> out = new ArrayList<>();
    rule.path("spec").path("groups").forEach(g -> g.path("rules").forEach(out::add));
    return out;
  }

  @Test
  void everyAlertHasForSeveritySummaryWithPodAndValueAndARunbookInTheReadme()
      throws IOException {
    String readme = Files.readString(Path.of(README));
    String alertTable = readme.substring(readme.indexOf("### Alerts"),
        readme.indexOf("### Dashboard"));

    List<JsonNode> rules = rules(ValueSets.MONITORING.values);

    assertThat(rules).hasSizeGreaterThanOrEqualTo(6);
    for (JsonNode rule : rules) {
      String alert = rule.path("alert").asText();
      assertThat(rule.path("for").asText()).as("%s for", alert)
          .matches("([0-9]+(ms|s|m|h|d|w|y))+");
      assertThat(rule.path("labels").path("severity").asText()).as("%s severity", alert)
          .isIn("critical", "warning", "info");
      JsonNode annotations = rule.path("annotations");
      String summary = annotations.path("summary").asText();
      assertThat(summary).as("%s summary", alert).contains("$value")
          .containsAnyOf("$labels.pod", "$labels.bridge");
      if (!alert.equals("PgbridgeNoLeader")) {
        // about one pod, so it says which; the expression keeps the label
        assertThat(summary).as("%s summary", alert).contains("$labels.pod");
        assertThat(rule.path("expr").asText()).as("%s expr", alert).contains("pod");
      }
      assertThat(annotations.path("description").asText()).as("%s", alert).isNotBlank();
      String anchor = alert.toLowerCase(Locale.ROOT);
      assertThat(annotations.path("runbook_url").asText()).as("%s runbook", alert)
          .isEqualTo("https://github.com/pgbridge/pgbridge/blob/main/README.md#" + anchor);
      assertThat(alertTable).as("README alert table row for %s", alert)
          .contains("| <a id=\"" + anchor + "\"></a>`" + alert + "` |");
    }
  }

  @Test
  void runbooksCanPointElsewhereWithTheSameAnchors() {
    List<JsonNode> rules = rules(ValueSets.defaultsWith(Map.of("prometheusRule", Map.of(
        "enabled", true, "runbookBaseUrl", "https://wiki.example.com/pgbridge/"))));

    assertThat(rules).allSatisfy(r -> assertThat(r.path("annotations").path("runbook_url")
        .asText()).isEqualTo("https://wiki.example.com/pgbridge#"
            + r.path("alert").asText().toLowerCase(Locale.ROOT)));
  }

  @Test
  void noLeaderAlsoFiresWhenNoReplicaReportsAndThenShowsZeroLeaders() {
    String expr = rules(ValueSets.MONITORING.values).stream()
        .filter(r -> r.path("alert").asText().equals("PgbridgeNoLeader")).findFirst()
        .orElseThrow().path("expr").asText();

    assertThat(expr).contains("sum by (namespace, bridge) (pgbridge_leader{")
        .contains("< 1 or absent(pgbridge_leader{").endsWith("* 0");
  }
}
