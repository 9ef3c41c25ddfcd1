package io.pgbridge.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgbridge.publish.RecordBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A downstream service watching {@code generation-state}, as a WebSocket gateway would: its own
 * consumer group, from the earliest offset. It keeps the last record of every key (for the final
 * state check), counts records, tombstones and versions that did not increase, measures
 * writer-commit to receipt lag through {@link CommitTimes} and the {@code pgbridge.version}
 * header, and keeps the last few records for the progress lines. One named thread owns the
 * {@link KafkaConsumer}; {@link #start()} starts it, {@link #stop()} wakes it and joins it. Other
 * threads read the counters and {@link #recent()} at any time, and {@link #last()} after stop.
 */
final class StateConsumer {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int RECENT = 4;
  private static final int HISTORY = 6;

  /** The last record seen for one key, with the versions seen before it (newest last). */
  record Seen(UUID id, long version, boolean tombstone, JsonNode state, String status, int progress,
      List<Long> history, long receivedNanos) {}

  private final KafkaConsumer<String, byte[]> consumer;
  private final String topic;
  private final CommitTimes commits;
  private final LatencySamples lag = new LatencySamples();
  private final Map<UUID, Seen> last = new ConcurrentHashMap<>();
  private final Deque<Seen> recent = new ArrayDeque<>();
  private final AtomicLong records = new AtomicLong();
  private final AtomicLong tombstones = new AtomicLong();
  private final AtomicLong regressions = new AtomicLong();
  private final AtomicLong repeats = new AtomicLong();
  private final AtomicLong unmatched = new AtomicLong();
  private final AtomicLong lastRecordNanos = new AtomicLong(System.nanoTime());
  private final AtomicLong backlog = new AtomicLong(-1);
  private final Thread thread;
  private volatile boolean running = true;
  private volatile boolean started;
  private final CountDownLatch assigned = new CountDownLatch(1);
  private volatile Exception failure;

  StateConsumer(String bootstrapServers, String topic, CommitTimes commits) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "pgbridge-demo-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "pgbridge-demo-consumer");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
    this.consumer = new KafkaConsumer<>(p);
    this.topic = topic;
    this.commits = commits;
    this.thread = new Thread(this::loop, "demo-consumer");
    thread.setDaemon(true);
  }

  void start() {
    consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
      @Override
      public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      }

      @Override
      public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        if (!partitions.isEmpty()) {
          assigned.countDown();
        }
      }
    });
    started = true;
    thread.start();
  }

  /**
   * Waits until the group gave this consumer its partitions, so that the workload's first
   * records are not measured with the group join in their lag.
   */
  boolean awaitAssigned(long timeout, TimeUnit unit) throws InterruptedException {
    return assigned.await(timeout, unit);
  }

  /** Stops polling, closes the consumer and joins its thread. Safe to call more than once. */
  void stop() throws InterruptedException {
    if (!running) {
      return;
    }
    running = false;
    if (!started) {
      consumer.close(CloseOptions.timeout(Duration.ZERO));
      return;
    }
    consumer.wakeup();
    thread.join(10_000);
  }

  private void loop() {
    long nextBacklogCheck = 0;
    try {
      while (running) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          receive(r);
        }
        long now = System.nanoTime();
        if (now - nextBacklogCheck >= 0) {
          backlog.set(backlog());
          nextBacklogCheck = now + TimeUnit.MILLISECONDS.toNanos(250);
        }
      }
    } catch (WakeupException e) {
      // stop() asked us to leave poll()
    } catch (RuntimeException e) {
      failure = e;
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
    }
  }

  /** Records not yet consumed in the assigned partitions; -1 before the first assignment. */
  private long backlog() {
    Set<TopicPartition> assigned = consumer.assignment();
    if (assigned.isEmpty()) {
      return -1;
    }
    long sum = 0;
    for (Map.Entry<TopicPartition, Long> end : consumer.endOffsets(assigned).entrySet()) {
      sum += Math.max(0, end.getValue() - consumer.position(end.getKey()));
    }
    return sum;
  }

  private void receive(ConsumerRecord<String, byte[]> r) {
    long now = System.nanoTime();
    lastRecordNanos.set(now);
    records.incrementAndGet();
    UUID id = UUID.fromString(r.key());
    Seen previous = last.get(id);
    List<Long> history = new ArrayList<>(previous == null ? List.of() : previous.history());
    Seen seen;
    if (r.value() == null) {
      tombstones.incrementAndGet();
      history.add(-1L);
      seen = new Seen(id, -1, true, null, "deleted", 0, trim(history), now);
    } else {
      JsonNode envelope;
      try {
        envelope = JSON.readTree(r.value());
      } catch (IOException e) {
        throw new IllegalStateException("record of " + id + " is not JSON", e);
      }
      long version = envelope.path("version").asLong();
      JsonNode state = envelope.path("state");
      Header h = r.headers().lastHeader(RecordBuilder.HEADER_VERSION);
      long headerVersion = h == null ? -1
          : Long.parseLong(new String(h.value(), StandardCharsets.UTF_8));
      long committedAt = commits.take(id, headerVersion);
      if (committedAt < 0) {
        unmatched.incrementAndGet();
      } else {
        lag.record(Math.max(0, now - committedAt));
      }
      if (previous != null && !previous.tombstone()) {
        if (version == previous.version()) {
          repeats.incrementAndGet();
        } else if (version < previous.version()) {
          regressions.incrementAndGet();
        }
      }
      history.add(version);
      seen = new Seen(id, version, false, state, state.path("status").asText("?"),
          state.path("progress").asInt(), trim(history), now);
    }
    last.put(id, seen);
    synchronized (recent) {
      recent.addLast(seen);
      while (recent.size() > RECENT) {
        recent.removeFirst();
      }
    }
  }

  private static List<Long> trim(List<Long> history) {
    return List.copyOf(history.size() <= HISTORY ? history
        : history.subList(history.size() - HISTORY, history.size()));
  }

  /** The last few records received, oldest first. */
  List<Seen> recent() {
    synchronized (recent) {
      return List.copyOf(recent);
    }
  }

  /** Last record per key; complete once {@link #stop()} returned. */
  Map<UUID, Seen> last() {
    return last;
  }

  long records() {
    return records.get();
  }

  long tombstones() {
    return tombstones.get();
  }

  /** Records whose version was lower than the key's previous one (never expected). */
  long regressions() {
    return regressions.get();
  }

  /** Records that repeated the key's previous version (allowed after a failure only). */
  long repeats() {
    return repeats.get();
  }

  /** Records whose commit time the writers had not recorded. */
  long unmatched() {
    return unmatched.get();
  }

  LatencySamples lag() {
    return lag;
  }

  /** Nanoseconds since the last record arrived. */
  long idleNanos() {
    return System.nanoTime() - lastRecordNanos.get();
  }

  /** Records on the broker not yet consumed; -1 while unknown. */
  long backlogRecords() {
    return backlog.get();
  }

  Exception failure() {
    return failure;
  }
}
