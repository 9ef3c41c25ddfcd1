package io.pgbridge.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a topic from the beginning (no consumer group) and keeps every record in order, per
 * key and overall. Test-only; used from the test thread.
 */
public final class TopicReader implements AutoCloseable {

  /** One record as read: key, value text (null for a tombstone), headers as text. */
  public record Received(String key, String value, Map<String, String> headers) {

    public long version() {
      return Long.parseLong(headers.get("pgbridge.version"));
    }

    public boolean tombstone() {
      return value == null;
    }
  }

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final List<Received> all = new ArrayList<>();
  private final Map<String, List<Received>> byKey = new HashMap<>();

  public TopicReader(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumer = new KafkaConsumer<>(p);
    var partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
        .map(pi -> new org.apache.kafka.common.TopicPartition(topic, pi.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /** Polls once for up to {@code millis}; returns how many records arrived. */
  public int poll(long millis) {
    int n = 0;
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(millis))) {
      Map<String, String> headers = new HashMap<>();
      for (Header h : r.headers()) {
        headers.put(h.key(), h.value() == null ? null
            : new String(h.value(), StandardCharsets.UTF_8));
      }
      Received rec = new Received(new String(r.key(), StandardCharsets.UTF_8),
          r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8), headers);
      all.add(rec);
      byKey.computeIfAbsent(rec.key(), k -> new ArrayList<>()).add(rec);
      n++;
    }
    return n;
  }

  /** Polls until {@code done} holds or {@code timeout} passes; returns whether it held. */
  public boolean pollUntil(Predicate<TopicReader> done, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (done.test(this)) {
        return true;
      }
      poll(100);
    }
    return done.test(this);
  }

  /** Polls until nothing new arrives for {@code quiet}. */
  public void drain(Duration quiet) {
    long quietNanos = quiet.toNanos();
    long last = System.nanoTime();
    while (System.nanoTime() - last < quietNanos) {
      if (poll(100) > 0) {
        last = System.nanoTime();
      }
    }
  }

  public List<Received> all() {
    return all;
  }

  public List<Received> records(UUID key) {
    return byKey.getOrDefault(key.toString(), List.of());
  }

  public Received last(UUID key) {
    List<Received> list = records(key);
    return list.isEmpty() ? null : list.get(list.size() - 1);
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
