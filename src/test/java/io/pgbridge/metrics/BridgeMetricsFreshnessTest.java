package io.pgbridge.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.ChangeSources.Op;
import io.pgbridge.time.ManualTicker;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The freshness gauges and the stage histogram, on a manual ticker. */
class BridgeMetricsFreshnessTest {

  private final ManualTicker ticker = new ManualTicker(1_000_000_000L);
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final BridgeMetrics metrics = new BridgeMetrics(registry, "b",
      new ChangeSources(List.of("generation_sessions", "generation_todos")), ticker);

  private double gauge(String name) {
    return registry.get(name).tag("bridge", "b").gauge().value();
  }

  @Test
  void freshnessGaugesCountSecondsSinceStartUntilTheFirstEvent() {
    ticker.advanceMillis(2_500);
    assertThat(gauge("pgbridge.last.notification.age.seconds")).isEqualTo(2.5);
    assertThat(gauge("pgbridge.last.ack.age.seconds")).isEqualTo(2.5);
  }

  @Test
  void notificationAndAcknowledgementRestartTheirOwnGaugeOnly() {
    ticker.advanceMillis(3_000);
    metrics.received(1, Op.INSERT);
    ticker.advanceMillis(1_000);
    assertThat(gauge("pgbridge.last.notification.age.seconds")).isEqualTo(1.0);
    assertThat(gauge("pgbridge.last.ack.age.seconds")).isEqualTo(4.0);
    metrics.acknowledged(ticker.nanos());
    ticker.advanceMillis(250);
    assertThat(gauge("pgbridge.last.ack.age.seconds")).isEqualTo(0.25);
    assertThat(gauge("pgbridge.last.notification.age.seconds")).isEqualTo(1.25);
  }

  @Test
  void notificationToFetchIsAHistogramWithMillisecondBucketsAndNoClientPercentiles() {
    Timer t = registry.get("pgbridge.lag.notification.to.fetch").tag("bridge", "b").timer();
    t.record(2, TimeUnit.MILLISECONDS);
    t.record(40, TimeUnit.MILLISECONDS);
    HistogramSnapshot s = t.takeSnapshot();
    assertThat(s.percentileValues()).isEmpty();
    assertThat(s.histogramCounts()).extracting(b -> b.bucket(TimeUnit.MILLISECONDS))
        .contains(1.0, 2.5, 5.0, 50.0);
    assertThat(s.histogramCounts()).filteredOn(b -> b.bucket(TimeUnit.MILLISECONDS) == 2.5)
        .singleElement().extracting(b -> b.count()).isEqualTo(1.0);
    assertThat(s.histogramCounts()).filteredOn(b -> b.bucket(TimeUnit.MILLISECONDS) == 50.0)
        .singleElement().extracting(b -> b.count()).isEqualTo(2.0);
  }
}
