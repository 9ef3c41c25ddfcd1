package io.pgbridge.consumer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Materialises the state topic into a {@link StateView}: reads every partition from the earliest
 * offset (no consumer group, nothing committed: every instance holds the whole topic), then
 * follows it live, and reads the heartbeat topic beside it when that exists (checked again every
 * few seconds until it does). {@link #caughtUp()} turns true once the view has read up to the
 * end offsets the topic had at start. One named thread, {@code pgbridge-consumer}, owns the
 * Kafka consumer; {@link #start()} starts it, {@link #close()} wakes it up and joins it.
 */
public final class StateMaterializer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StateMaterializer.class);
  private static final long TOPIC_CHECK_MS = 5_000;

  /**
   * What to read and how.
   *
   * @param kafka consumer properties (bootstrap.servers, TLS, SASL, ...); the deserializers,
   *     offset and group settings are the materializer's own
   * @param heartbeatTopic the heartbeat topic, or null to ignore heartbeats
   */
  public record Settings(Map<String, Object> kafka, String topic, String heartbeatTopic,
      long pollMs, long expireEveryMs) {

    public Settings {
      kafka = Map.copyOf(kafka);
    }
  }

  private final Settings settings;
  private final StateView view;
  private final HeartbeatTracker heartbeats;
  private final LongSupplier clockMs;
  private final Thread thread;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private volatile boolean stopping;
  private volatile boolean caughtUp;
  private volatile boolean topicFound;
  private volatile boolean heartbeatTopicFound;
  private volatile long lagRecords = -1;
  private volatile Throwable failure;
  private final List<TopicPartition> statePartitions = new ArrayList<>();
  private final List<TopicPartition> heartbeatPartitions = new ArrayList<>();
  private Map<TopicPartition, Long> startEnd = Map.of();
  private long nextExpire;
  private long nextTopicCheck;
  private boolean warnedHeartbeat;

  public StateMaterializer(Settings settings, StateView view, HeartbeatTracker heartbeats,
      LongSupplier clockMs) {
    this.settings = settings;
    this.view = view;
    this.heartbeats = heartbeats;
    this.clockMs = clockMs;
    this.thread = new Thread(this::run, "pgbridge-consumer");
    this.thread.setDaemon(true);
  }

  public void start() {
    Map<String, Object> p = new HashMap<>(settings.kafka());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2_000);
    p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "pgbridge-gateway-" + settings.topic());
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    consumer = new KafkaConsumer<>(p);
    thread.start();
  }

  private void run() {
    try {
      while (!stopping) {
        long now = clockMs.getAsLong();
        if (now >= nextTopicCheck) {
          nextTopicCheck = now + TOPIC_CHECK_MS;
          checkTopics();
        }
        if (statePartitions.isEmpty()) {
          sleep(Math.min(settings.pollMs(), 500));
          continue;
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(
            settings.pollMs()))) {
          if (r.topic().equals(settings.topic())) {
            view.apply(toTopicRecord(r), clockMs.getAsLong());
          } else {
            heartbeat(r);
          }
        }
        afterPoll();
      }
    } catch (WakeupException e) {
      if (!stopping) {
        failure = e;
      }
    } catch (RuntimeException e) {
      failure = e;
      log.error("The state consumer failed; the view stops following the topic", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        consumer.close(Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        log.debug("closing the consumer", e);
      }
      stopped.countDown();
    }
  }

  private void sleep(long ms) throws InterruptedException {
    Thread.sleep(ms);
  }

  private void checkTopics() {
    boolean changed = false;
    if (statePartitions.isEmpty()) {
      List<TopicPartition> found = partitions(settings.topic());
      if (found.isEmpty()) {
        log.warn("Topic {} does not exist (yet); checking again every {} s", settings.topic(),
            TOPIC_CHECK_MS / 1000);
        return;
      }
      statePartitions.addAll(found);
      topicFound = true;
      changed = true;
    }
    if (settings.heartbeatTopic() != null && heartbeatPartitions.isEmpty()) {
      List<TopicPartition> found = partitions(settings.heartbeatTopic());
      if (!found.isEmpty()) {
        heartbeatPartitions.addAll(found);
        heartbeatTopicFound = true;
        changed = true;
        log.info("Following heartbeats on {}", settings.heartbeatTopic());
      } else if (!warnedHeartbeat) {
        warnedHeartbeat = true;
        log.info("Heartbeat topic {} does not exist: liveness is unknown until it does",
            settings.heartbeatTopic());
      }
    }
    if (changed) {
      List<TopicPartition> all = new ArrayList<>(statePartitions);
      all.addAll(heartbeatPartitions);
      List<TopicPartition> added = new ArrayList<>(all);
      added.removeAll(consumer.assignment());
      consumer.assign(all);
      consumer.seekToBeginning(added);
      if (startEnd.isEmpty()) {
        startEnd = consumer.endOffsets(statePartitions);
        log.info("Reading {} ({} partitions) from the earliest offset; {} records to catch up",
            settings.topic(), statePartitions.size(),
            startEnd.values().stream().mapToLong(Long::longValue).sum());
      }
    }
  }

  private List<TopicPartition> partitions(String topic) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
    List<TopicPartition> out = new ArrayList<>();
    if (infos != null) {
      for (PartitionInfo i : infos) {
        out.add(new TopicPartition(topic, i.partition()));
      }
    }
    return out;
  }

  private void heartbeat(ConsumerRecord<byte[], byte[]> r) {
    String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    try {
      heartbeats.received(Heartbeat.parse(key, r.value()), r.timestamp());
    } catch (IllegalArgumentException e) {
      log.debug("Ignoring a record on the heartbeat topic at {}/{}: {}", r.partition(),
          r.offset(), e.getMessage());
    }
  }

  private void afterPoll() {
    long lag = 0;
    boolean all = true;
    for (TopicPartition tp : statePartitions) {
      OptionalLong l = consumer.currentLag(tp);
      lag += l.orElse(0);
      if (!caughtUp && consumer.position(tp) < startEnd.getOrDefault(tp, 0L)) {
        all = false;
      }
    }
    lagRecords = lag;
    if (!caughtUp && all) {
      caughtUp = true;
      log.info("Caught up with {}: {} sessions in the view", settings.topic(), view.size());
    }
    long now = clockMs.getAsLong();
    if (now >= nextExpire) {
      nextExpire = now + settings.expireEveryMs();
      view.expire(now);
    }
  }

  static TopicRecord toTopicRecord(ConsumerRecord<byte[], byte[]> r) {
    Map<String, String> headers = new HashMap<>(8);
    for (Header h : r.headers()) {
      headers.put(h.key(), h.value() == null ? null
          : new String(h.value(), StandardCharsets.UTF_8));
    }
    String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    return new TopicRecord(r.partition(), r.offset(), r.timestamp(), key, r.value(), headers);
  }

  /** True once the view read up to the end offsets the topic had when reading started. */
  public boolean caughtUp() {
    return caughtUp && failure == null;
  }

  public boolean topicFound() {
    return topicFound;
  }

  public boolean heartbeatTopicFound() {
    return heartbeatTopicFound;
  }

  /** Records on the topic not read yet (sum over partitions), -1 before the first poll. */
  public long lagRecords() {
    return lagRecords;
  }

  /** Why the consumer thread stopped, or null while it runs. */
  public Throwable failure() {
    return failure;
  }

  public StateView view() {
    return view;
  }

  public HeartbeatTracker heartbeats() {
    return heartbeats;
  }

  @Override
  public void close() {
    stopping = true;
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
      try {
        if (!stopped.await(10, TimeUnit.SECONDS)) {
          log.warn("The state consumer did not stop within 10 s");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
