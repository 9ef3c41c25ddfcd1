package io.pgbridge.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.pgbridge.consumer.Liveness;
import io.pgbridge.consumer.StateMaterializer;
import io.pgbridge.consumer.StateView;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.function.ToIntFunction;

/**
 * The gateway's Prometheus metrics, all prefixed {@code pgbridge_gateway_}: connected clients by
 * transport, subscriptions, messages sent by type and skipped (superseded while waiting), send
 * lag from the record's timestamp to the completed socket write (and, to tell the path to the
 * gateway from the fan-out, to the consumer applying the record), refusals and dropped clients by
 * reason, and the consumer side (sessions held, records by outcome, evictions, lag in records,
 * caught up, the bridge's liveness). Counters are thread-safe; gauges read live values.
 */
public final class GatewayMetrics {

  private final MeterRegistry registry;
  final LongAdder skipped = new LongAdder();
  private final Map<String, Counter> sent = new ConcurrentHashMap<>();
  private final Map<String, Counter> refused = new ConcurrentHashMap<>();
  private final Map<String, Counter> dropped = new ConcurrentHashMap<>();
  private final Timer sendLag;
  private final Timer receiveLag;
  private final Timer fanoutLag;

  GatewayMetrics(MeterRegistry registry) {
    this.registry = registry;
    FunctionCounter.builder("pgbridge_gateway_messages_skipped", skipped, LongAdder::sum)
        .description("states superseded by a newer version before they were sent (slow client)")
        .register(registry);
    sendLag = lag("pgbridge_gateway_send_lag",
        "record timestamp (append to the state topic) to the completed socket write");
    receiveLag = lag("pgbridge_gateway_receive_lag",
        "record timestamp (append to the state topic) to the gateway's consumer"
            + " applying it, before fan-out");
    fanoutLag = lag("pgbridge_gateway_fanout_lag",
        "the gateway's consumer applying a record to the completed socket write of"
            + " one client: the gateway's own share of the send lag");
    for (String reason : new String[] {"unauthorized", "forbidden", "origin",
        "too_many_subscriptions", "message_too_large", "bad_request", "too_many_connections"}) {
      refused(reason, 0);
    }
    for (String type : new String[] {"state", "deleted", "heartbeat", "synced", "error"}) {
      sentCounter(type);
    }
    for (String reason : new String[] {"queue_full", "send_failed", "token_expired"}) {
      droppedCounter(reason);
    }
  }

  /** A lag histogram from 1 ms to 30 s, the range every gateway lag is read in. */
  private Timer lag(String name, String description) {
    return Timer.builder(name).description(description).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry);
  }

  void bind(StateMaterializer materializer, StateView view, IntSupplier subscriptions,
      ToIntFunction<String> clients) {
    for (String transport : new String[] {"websocket", "sse"}) {
      Gauge.builder("pgbridge_gateway_clients", () -> clients.applyAsInt(transport))
          .tag("transport", transport).description("connected clients").register(registry);
    }
    Gauge.builder("pgbridge_gateway_subscriptions", subscriptions::getAsInt)
        .description("projects plus sessions subscribed, over all clients").register(registry);
    Gauge.builder("pgbridge_gateway_sessions", view::size)
        .description("sessions held in memory").register(registry);
    Gauge.builder("pgbridge_gateway_consumer_lag_records", materializer::lagRecords)
        .description("records on the state topic not read yet").register(registry);
    Gauge.builder("pgbridge_gateway_caught_up", () -> materializer.caughtUp() ? 1 : 0)
        .description("1 once the topic was read up to its end at start").register(registry);
    Gauge.builder("pgbridge_gateway_bridge_live", () -> {
      Liveness.Bridge b = materializer.heartbeats().liveness().bridge();
      return b == Liveness.Bridge.LIVE ? 1 : b == Liveness.Bridge.STALE ? 0 : -1;
    }).description("1 live, 0 stale (heartbeats stopped), -1 unknown (no heartbeats)")
        .register(registry);
    StateView.Stats s = view.stats();
    records("applied", s.applied);
    records("duplicate", s.duplicates);
    records("tombstone", s.tombstones);
    records("invalid", s.invalid);
    FunctionCounter.builder("pgbridge_gateway_evicted", s.evictedFinished, LongAdder::sum)
        .tag("reason", "finished").description("sessions dropped from memory by retention")
        .register(registry);
    FunctionCounter.builder("pgbridge_gateway_evicted", s.evictedCapacity, LongAdder::sum)
        .tag("reason", "capacity").description("sessions dropped from memory by retention")
        .register(registry);
  }

  private void records(String outcome, LongAdder adder) {
    FunctionCounter.builder("pgbridge_gateway_records", adder, LongAdder::sum)
        .tag("outcome", outcome).description("state-topic records read, by what the view did")
        .register(registry);
  }

  private Counter sentCounter(String type) {
    return sent.computeIfAbsent(type, t -> Counter.builder("pgbridge_gateway_messages_sent")
        .tag("type", t).description("messages written to clients").register(registry));
  }

  private Counter droppedCounter(String reason) {
    return dropped.computeIfAbsent(reason, r -> Counter.builder("pgbridge_gateway_clients_dropped")
        .tag("reason", r).description("clients disconnected by the gateway").register(registry));
  }

  void sent(String type) {
    sentCounter(type).increment();
  }

  void sendLag(long millis) {
    sendLag.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
  }

  void receiveLag(long millis) {
    receiveLag.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
  }

  void fanoutLag(long millis) {
    fanoutLag.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
  }

  void dropped(String reason) {
    droppedCounter(reason).increment();
  }

  void refused(String reason) {
    refused(reason, 1);
  }

  private void refused(String reason, double amount) {
    refused.computeIfAbsent(reason, r -> Counter.builder("pgbridge_gateway_refused")
        .tag("reason", r).description("requests, upgrades and messages refused")
        .register(registry)).increment(amount);
  }

  /** Count of refusals for {@code reason} (tests, status). */
  public double refusedCount(String reason) {
    Counter c = refused.get(reason);
    return c == null ? 0 : c.count();
  }

  public Timer sendLagTimer() {
    return sendLag;
  }

  public double sentCount(String type) {
    Counter c = sent.get(type);
    return c == null ? 0 : c.count();
  }

  public long skippedCount() {
    return skipped.sum();
  }

  public double droppedCount(String reason) {
    Counter c = dropped.get(reason);
    return c == null ? 0 : c.count();
  }
}
