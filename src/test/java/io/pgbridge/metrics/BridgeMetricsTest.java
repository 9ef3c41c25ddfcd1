package io.pgbridge.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgbridge.Versions;
import io.pgbridge.cli.Main;
import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.source.notify.NotificationParser;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** What the bridge's meters look like on /metrics before and after anything happened. */
class BridgeMetricsTest {

  private static final Pattern ERROR_CALL = Pattern.compile("metrics(\\(\\))?\\.error\\((.*)\\)");
  private static final Pattern LITERAL = Pattern.compile("\"([^\"]*)\"");

  private final PrometheusMeterRegistry registry = Main.newRegistry();
  private final BridgeMetrics metrics = new BridgeMetrics(registry, "eu",
      new ChangeSources(List.of("generation_sessions", "generation_todos")));

  @Test
  void everyErrorKindAndMalformedReasonIsExportedAtZeroFromTheStart() {
    metrics.malformedReasons(NotificationParser.REASONS);

    String scrape = registry.scrape();

    assertThat(BridgeMetrics.ERROR_KINDS).allSatisfy(kind -> assertThat(scrape)
        .contains("pgbridge_errors_total{bridge=\"eu\",kind=\"" + kind + "\"} 0"));
    assertThat(NotificationParser.REASONS).allSatisfy(reason -> assertThat(scrape)
        .contains("pgbridge_notifications_malformed_total{bridge=\"eu\",reason=\"" + reason
            + "\"} 0"));
  }

  @Test
  void everyErrorKindTheCodeCountsIsRegisteredUpFront() throws IOException {
    Set<String> counted = new TreeSet<>();
    try (Stream<Path> files = Files.walk(Path.of("src", "main", "java"))) {
      for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
        for (String line : Files.readAllLines(file)) {
          Matcher call = ERROR_CALL.matcher(line);
          if (call.find()) {
            Matcher literal = LITERAL.matcher(call.group(2));
            while (literal.find()) {
              counted.add(literal.group(1));
            }
          }
        }
      }
    }

    assertThat(counted).as("kinds passed to metrics.error(...)").contains("fetch", "kafka_fatal");
    assertThat(BridgeMetrics.ERROR_KINDS).containsAll(counted);
  }

  @Test
  void everyMalformedReasonOfTheParserIsListed() throws IllegalAccessException {
    Set<String> constants = new TreeSet<>();
    for (Field f : NotificationParser.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        constants.add((String) f.get(null));
      }
    }

    assertThat(constants).hasSizeGreaterThan(3);
    assertThat(NotificationParser.REASONS).containsExactlyInAnyOrderElementsOf(constants);
  }

  @Test
  void buildInfoNamesTheVersionsOfPgbridgeAndItsClients() {
    assertThat(registry.scrape()).contains("pgbridge_build_info{bridge=\"eu\",kafka_clients=\""
        + Versions.kafkaClient() + "\",pgjdbc=\"" + Versions.pgjdbc() + "\",version=\""
        + Versions.pgbridge() + "\"} 1");
  }

  @Test
  void timersExportHistogramBucketsAndNoClientSidePercentiles() {
    metrics.notificationLag().record(Duration.ofMillis(120));
    metrics.fetchDuration().record(Duration.ofMillis(3));
    // a library timer that asks for percentiles (as some binders do) gets none either
    Timer.builder("library.call").publishPercentiles(0.5, 0.99).register(registry)
        .record(Duration.ofMillis(7));

    String scrape = registry.scrape();

    assertThat(scrape)
        .contains("pgbridge_lag_notification_to_ack_seconds_bucket{bridge=\"eu\",le=\"0.125\"} 1")
        .contains("pgbridge_fetch_duration_seconds_bucket{")
        .contains("library_call_seconds_count")
        .doesNotContain("quantile=");
  }
}
