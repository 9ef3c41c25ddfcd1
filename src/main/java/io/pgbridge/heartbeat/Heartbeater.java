package io.pgbridge.heartbeat;

import io.pgbridge.BridgeState;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.metrics.WarnOnce;
import io.pgbridge.publish.AckedOffsets;
import io.pgbridge.time.Ticker;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one heartbeat record per {@code heartbeat.interval.ms} to the heartbeat topic while this
 * instance leads ({@code pgbridge-heartbeat-<id>} thread): key {@code bridge.id}, value from
 * {@link HeartbeatRecord} with the {@link PositionSource}'s latest position. At the start of every
 * listener generation it first reads the state topic's end offsets ({@link EndOffsets}) into the
 * {@link AckedOffsets}, so that positions established from then on cover records a previous
 * leader wrote. A standby sends nothing. Failures are counted and logged once; they never touch
 * the state pipeline. {@link #start()} and {@link #stop()} are called by the bridge's owner
 * thread; the producer is the bridge's.
 */
public final class Heartbeater implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(Heartbeater.class);

  /** Reads the end offset of every partition of the state topic. */
  @FunctionalInterface
  public interface EndOffsets {
    Map<Integer, Long> read() throws Exception;
  }

  /** What the last heartbeat said, for /status. */
  public record Sent(Instant time, Instant publishedUpTo) {}

  private final Producer<byte[], byte[]> producer;
  private final String topic;
  private final String bridgeId;
  private final String instanceId;
  private final long intervalMs;
  private final PositionSource positions;
  private final AckedOffsets offsets;
  private final EndOffsets endOffsets;
  private final BridgeState state;
  private final BridgeMetrics metrics;
  private final Ticker ticker;
  private final Clock clock;
  private final WarnOnce warn = new WarnOnce(log);
  private final AtomicReference<Sent> lastSent = new AtomicReference<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Thread thread;

  public Heartbeater(Producer<byte[], byte[]> producer, String topic, String bridgeId,
      String instanceId, long intervalMs, PositionSource positions, AckedOffsets offsets,
      EndOffsets endOffsets, BridgeState state, BridgeMetrics metrics, Ticker ticker,
      Clock clock) {
    if (intervalMs <= 0) {
      throw new IllegalArgumentException("heartbeat interval must be positive");
    }
    this.producer = producer;
    this.topic = topic;
    this.bridgeId = bridgeId;
    this.instanceId = instanceId;
    this.intervalMs = intervalMs;
    this.positions = positions;
    this.offsets = offsets;
    this.endOffsets = endOffsets;
    this.state = state;
    this.metrics = metrics;
    this.ticker = ticker;
    this.clock = clock;
    this.thread = new Thread(this, "pgbridge-heartbeat-" + instanceId);
    this.thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  @Override
  public void run() {
    long intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
    long next = ticker.nanos();
    try {
      while (true) {
        long wait = next - ticker.nanos();
        if (wait > 0 && stopped.await(wait, TimeUnit.NANOSECONDS)) {
          return;
        }
        if (stopped.getCount() == 0) {
          return;
        }
        beat();
        // a late beat (a slow seed, a blocked send) does not make the next ones bunch up
        next = Math.max(next + intervalNanos, ticker.nanos());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One interval's work: seed the offsets if a generation began, then send if leading. */
  void beat() {
    if (state.role() != BridgeState.Role.LEADER) {
      return;
    }
    long generation = state.generation();
    if (offsets.seededGeneration() != generation) {
      try {
        long epoch = offsets.epoch();
        offsets.seed(generation, epoch, endOffsets.read());
        warn.reset("heartbeat-offsets");
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
          return;
        }
        metrics.error("heartbeat");
        warn.warn("heartbeat-offsets", "cannot read the end offsets of the state topic (the"
            + " heartbeat's offsets wait for them): {}", e.toString());
      }
    }
    var position = positions.current();
    Instant now = clock.instant();
    byte[] value = HeartbeatRecord.value(bridgeId, instanceId, now, intervalMs,
        positions.sourceName(), position);
    try {
      producer.send(new ProducerRecord<>(topic, HeartbeatRecord.key(bridgeId), value),
          (metadata, error) -> {
            if (error == null) {
              metrics.heartbeats().increment();
              lastSent.set(new Sent(now, position.map(PublishedPosition::publishedUpTo)
                  .orElse(null)));
              warn.reset("heartbeat");
            } else {
              metrics.error("heartbeat");
              warn.warn("heartbeat", "heartbeat to {} failed: {}", topic, error.toString());
            }
          });
    } catch (RuntimeException e) {
      metrics.error("heartbeat");
      warn.warn("heartbeat", "heartbeat to {} failed: {}", topic, e.toString());
    }
  }

  /** The last acknowledged heartbeat; null before the first. */
  public Sent lastSent() {
    return lastSent.get();
  }

  public void stop() {
    stopped.countDown();
  }

  public void join(long millis) throws InterruptedException {
    thread.join(millis);
  }
}
