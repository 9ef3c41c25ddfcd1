package io.pgbridge.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.pgbridge.Versions;
import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.ChangeSources.Op;
import io.pgbridge.time.Ticker;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Every pgbridge meter, named {@code pgbridge.*} (Prometheus: {@code pgbridge_*}, base units,
 * {@code _total} counters) and tagged with {@code bridge}. Meters are created up front or
 * cached, so the hot path only increments; every labelled counter whose labels are known
 * ({@link #ERROR_KINDS}, malformed reasons) exists at 0 from the start, so that rate() and
 * alerts work before the first error. Timers export histogram buckets only, no client-side
 * percentiles: quantiles cannot be aggregated across replicas. Thread-safe. Owned by one
 * bridge; the registry is the caller's, so two bridges in one JVM can share a registry under
 * different ids.
 */
public final class BridgeMetrics {

  /**
   * The {@code kind} values of {@code pgbridge_errors_total}, registered at 0. A kind not
   * listed still counts (the counter is created on first use) but is absent until then.
   */
  public static final List<String> ERROR_KINDS = List.of("listener", "database_fatal", "fetch",
      "kafka", "kafka_retriable", "kafka_fatal", "invalid_state", "record_too_large",
      "deadletter", "checkpoint", "mode_mismatch", "worker", "heartbeat", "republish");

  /** Lag buckets in seconds: fine below a second, where the debounce window lives. */
  private static final Duration[] LAG_BUCKETS = durations(0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05, 0.075, 0.1,
      0.125, 0.15, 0.2, 0.25, 0.3, 0.5, 0.75, 1, 1.5, 2, 5, 10, 30, 60, 300);
  private static final Duration[] IO_BUCKETS = durations(0.0005, 0.001, 0.0025, 0.005, 0.01,
      0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30);

  private final MeterRegistry registry;
  private final Tags tags;
  private final Counter[] received;
  private final Map<String, Counter> malformed = new ConcurrentHashMap<>();
  private final Map<String, Counter> errors = new ConcurrentHashMap<>();
  private final Counter published;
  private final Counter skipped;
  private final Counter tombstones;
  private final Counter deadLettered;
  private final Counter catchup;
  private final Counter reconnects;
  private final Counter checkpoints;
  private final Counter heartbeats;
  private final Counter republished;
  private final Counter republishRequests;
  private final Timer notificationLag;
  private final Timer commitLag;
  private final Timer fetchDuration;
  private final Timer produceDuration;
  private final Timer notificationToFetch;
  private final DistributionSummary fetchBatch;
  private final Ticker ticker;
  private volatile long lastNotificationNanos;
  private volatile long lastAckNanos;

  public BridgeMetrics(MeterRegistry registry, String bridgeId, ChangeSources sources) {
    this(registry, bridgeId, sources, Ticker.SYSTEM);
  }

  /** {@code ticker} times the freshness gauges (seconds since the last notification, ack). */
  public BridgeMetrics(MeterRegistry registry, String bridgeId, ChangeSources sources,
      Ticker ticker) {
    this.registry = registry;
    this.tags = Tags.of("bridge", bridgeId);
    this.ticker = ticker;
    this.lastNotificationNanos = ticker.nanos();
    this.lastAckNanos = lastNotificationNanos;
    Gauge.builder("pgbridge.build.info", () -> 1)
        .description("Versions of pgbridge and of the clients it runs (always 1)")
        .tags(tags).tag("version", Versions.pgbridge()).tag("kafka_clients",
            Versions.kafkaClient()).tag("pgjdbc", Versions.pgjdbc())
        .strongReference(true).register(registry);
    for (String kind : ERROR_KINDS) {
      errorCounter(kind);
    }
    List<String> tables = sources.tables();
    received = new Counter[tables.size() * Op.values().length];
    for (int t = 0; t < tables.size(); t++) {
      for (Op op : Op.values()) {
        received[t * Op.values().length + op.ordinal()] = Counter
            .builder("pgbridge.notifications.received")
            .description("Row-change notifications received, by table and operation")
            .tags(tags).tag("table", tables.get(t)).tag("op", op.name())
            .register(registry);
      }
    }
    published = counter("pgbridge.records.published", "Records acknowledged by Kafka");
    skipped = counter("pgbridge.records.skipped",
        "Fetched sessions not sent because their version was already published");
    tombstones = counter("pgbridge.tombstones.published",
        "Tombstones acknowledged by Kafka for deleted sessions");
    deadLettered = counter("pgbridge.records.deadlettered",
        "Records that could not be published and went to the dead letter topic (or were"
            + " dropped with errors.tolerance=all and no topic)");
    catchup = counter("pgbridge.catchup.sessions",
        "Sessions marked for publishing by catch-up after a start or reconnect");
    reconnects = counter("pgbridge.listener.reconnects", "Listener connections re-established");
    checkpoints = counter("pgbridge.checkpoints.stored", "Checkpoints stored");
    heartbeats = counter("pgbridge.heartbeats", "Heartbeat records acknowledged by Kafka");
    republished = counter("pgbridge.republish.sessions",
        "Sessions marked for publishing again by republish requests");
    republishRequests = counter("pgbridge.republish.requests.completed",
        "Republish requests completed (every session they cover acknowledged)");
    notificationLag = lag("pgbridge.lag.notification.to.ack",
        "From receipt of the oldest notification a record covers to Kafka's acknowledgement");
    commitLag = lag("pgbridge.lag.commit.to.ack",
        "From the row's updated_at to Kafka's acknowledgement (includes clock skew)");
    notificationToFetch = Timer.builder("pgbridge.lag.notification.to.fetch")
        .description("From receipt of the oldest notification a record covers to the start of"
            + " the fetch that read its state, per acknowledged record: the time spent in the"
            + " debounce window and waiting for a worker")
        .tags(tags).serviceLevelObjectives(LAG_BUCKETS).register(registry);
    fetchDuration = io("pgbridge.fetch.duration", "One batched state query");
    produceDuration = io("pgbridge.produce.duration", "From send to Kafka acknowledgement");
    fetchBatch = DistributionSummary.builder("pgbridge.fetch.batch.size")
        .description("Sessions per state query").tags(tags).baseUnit("sessions")
        .serviceLevelObjectives(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000)
        .register(registry);
    gauge("pgbridge.last.notification.age.seconds",
        "Seconds since this instance last received a row-change notification (since start if"
            + " never)", () -> (ticker.nanos() - lastNotificationNanos) / 1e9);
    gauge("pgbridge.last.ack.age.seconds",
        "Seconds since Kafka last acknowledged a record (state or tombstone) of this instance"
            + " (since start if never)", () -> (ticker.nanos() - lastAckNanos) / 1e9);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public Tags tags() {
    return tags;
  }

  /** A notification for table {@code tableIndex}, operation {@code op}. */
  public void received(int tableIndex, Op op) {
    received[tableIndex * Op.values().length + op.ordinal()].increment();
    lastNotificationNanos = ticker.nanos();
  }

  /** Kafka acknowledged a state record or tombstone at {@code nanos} (ticker time). */
  public void acknowledged(long nanos) {
    lastAckNanos = nanos;
  }

  /** Total row-change notifications received so far. */
  public double receivedTotal() {
    double sum = 0;
    for (Counter c : received) {
      sum += c.count();
    }
    return sum;
  }

  public void malformed(String reason) {
    malformedCounter(reason).increment();
  }

  /** Registers the malformed-notification counters of {@code reasons} at 0. */
  public void malformedReasons(Collection<String> reasons) {
    reasons.forEach(this::malformedCounter);
  }

  private Counter malformedCounter(String reason) {
    return malformed.computeIfAbsent(reason, r -> Counter
        .builder("pgbridge.notifications.malformed")
        .description("Notifications on the channel that are not a valid pgbridge payload")
        .tags(tags).tag("reason", r).register(registry));
  }

  /** An error of {@code kind} (one of {@link #ERROR_KINDS}). */
  public void error(String kind) {
    errorCounter(kind).increment();
  }

  private Counter errorCounter(String kind) {
    return errors.computeIfAbsent(kind, k -> Counter.builder("pgbridge.errors")
        .description("Errors by kind").tags(tags).tag("kind", k).register(registry));
  }

  public Counter published() {
    return published;
  }

  public Counter skipped() {
    return skipped;
  }

  public Counter tombstones() {
    return tombstones;
  }

  public Counter deadLettered() {
    return deadLettered;
  }

  public Counter catchup() {
    return catchup;
  }

  public Counter reconnects() {
    return reconnects;
  }

  public Counter checkpoints() {
    return checkpoints;
  }

  public Counter heartbeats() {
    return heartbeats;
  }

  public Counter republished() {
    return republished;
  }

  public Counter republishRequests() {
    return republishRequests;
  }

  public Timer notificationLag() {
    return notificationLag;
  }

  public Timer commitLag() {
    return commitLag;
  }

  public Timer fetchDuration() {
    return fetchDuration;
  }

  public Timer produceDuration() {
    return produceDuration;
  }

  public Timer notificationToFetch() {
    return notificationToFetch;
  }

  public void fetchBatch(int size) {
    fetchBatch.record(size);
  }

  /** Registers a gauge read from {@code value} on each scrape. */
  public void gauge(String name, String description, Supplier<Number> value) {
    Gauge.builder(name, value).description(description).tags(tags).register(registry);
  }

  private Counter counter(String name, String description) {
    return Counter.builder(name).description(description).tags(tags).register(registry);
  }

  private Timer lag(String name, String description) {
    return Timer.builder(name).description(description).tags(tags)
        .serviceLevelObjectives(LAG_BUCKETS)
        .register(registry);
  }

  private Timer io(String name, String description) {
    return Timer.builder(name).description(description).tags(tags)
        .serviceLevelObjectives(IO_BUCKETS).register(registry);
  }

  private static Duration[] durations(double... seconds) {
    Duration[] out = new Duration[seconds.length];
    for (int i = 0; i < seconds.length; i++) {
      out[i] = Duration.ofNanos((long) (seconds[i] * TimeUnit.SECONDS.toNanos(1)));
    }
    return out;
  }
}
