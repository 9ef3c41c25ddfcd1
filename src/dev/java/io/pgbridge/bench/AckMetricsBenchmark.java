package io.pgbridge.bench;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.metrics.BridgeMetrics;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the producer's I/O thread records for each acknowledged record (send → ack, notification
 * → ack and commit → ack timers, the published counter), with the meters as
 * {@link BridgeMetrics} builds them ({@code buckets}: histogram buckets only) and as it built
 * them before ({@code buckets+percentiles}: the same buckets plus client-side p50/p95/p99 with
 * a 2-minute window, rebuilt here for the comparison). Score = acknowledged records per second
 * per thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m"})
@Threads(1)
public class AckMetricsBenchmark {

  @Param({"buckets", "buckets+percentiles"})
  public String meters;

  private Timer produce;
  private Timer notificationLag;
  private Timer commitLag;
  private Counter published;
  private long[] lagNanos;
  private int next;

  @Setup
  public void setUp() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    BridgeMetrics metrics = new BridgeMetrics(registry, "bench",
        new ChangeSources(List.of("generation_sessions")));
    produce = metrics.produceDuration();
    published = metrics.published();
    if (meters.equals("buckets")) {
      notificationLag = metrics.notificationLag();
      commitLag = metrics.commitLag();
    } else {
      // the same buckets as BridgeMetrics' lag timers
      Duration[] lagBuckets = slos(registry);
      notificationLag = withPercentiles(registry, "old.lag.notification", lagBuckets);
      commitLag = withPercentiles(registry, "old.lag.commit", lagBuckets);
    }
    SplittableRandom random = new SplittableRandom(7);
    lagNanos = new long[4096];
    for (int i = 0; i < lagNanos.length; i++) {
      // 5-400 ms, where the debounce window puts most records
      lagNanos[i] = TimeUnit.MILLISECONDS.toNanos(5 + random.nextInt(395));
    }
  }

  private static Duration[] slos(PrometheusMeterRegistry registry) {
    var counts = registry.get("pgbridge.lag.notification.to.ack").timer().takeSnapshot()
        .histogramCounts();
    Duration[] out = new Duration[counts.length];
    for (int i = 0; i < counts.length; i++) {
      out[i] = Duration.ofNanos((long) counts[i].bucket(TimeUnit.NANOSECONDS));
    }
    return out;
  }

  private static Timer withPercentiles(PrometheusMeterRegistry registry, String name,
      Duration[] buckets) {
    return Timer.builder(name).serviceLevelObjectives(buckets)
        .publishPercentiles(0.5, 0.95, 0.99)
        .distributionStatisticExpiry(Duration.ofMinutes(2))
        .register(registry);
  }

  /** One acknowledged record's metrics. */
  @Benchmark
  public void acknowledged() {
    long lag = lagNanos[next++ & (lagNanos.length - 1)];
    produce.record(lag / 20, TimeUnit.NANOSECONDS);
    notificationLag.record(lag, TimeUnit.NANOSECONDS);
    commitLag.record(lag + 2_000_000, TimeUnit.NANOSECONDS);
    published.increment();
  }
}
