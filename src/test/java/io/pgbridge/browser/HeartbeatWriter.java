package io.pgbridge.browser;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces the bridge's heartbeats as the heartbeat contract defines them (one record per
 * interval on the heartbeat topic, the state topic's end offsets as the offsets), on a thread of
 * its own, until paused or closed. Stands in for the bridge's own heartbeats in tests.
 */
final class HeartbeatWriter implements AutoCloseable {

  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaConsumer<byte[], byte[]> offsets;
  private final String stateTopic;
  private final String heartbeatTopic;
  private final long intervalMs;
  private final Thread thread;
  private volatile boolean paused;
  private volatile boolean stopped;

  HeartbeatWriter(String bootstrap, String stateTopic, String heartbeatTopic, long intervalMs) {
    this.stateTopic = stateTopic;
    this.heartbeatTopic = heartbeatTopic;
    this.intervalMs = intervalMs;
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    producer = new KafkaProducer<>(p);
    Properties c = new Properties();
    c.put("bootstrap.servers", bootstrap);
    c.put("key.deserializer", ByteArrayDeserializer.class.getName());
    c.put("value.deserializer", ByteArrayDeserializer.class.getName());
    offsets = new KafkaConsumer<>(c);
    thread = new Thread(this::run, "test-heartbeats");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  void pause(boolean pause) {
    paused = pause;
  }

  private void run() {
    List<TopicPartition> partitions = offsets.partitionsFor(stateTopic).stream()
        .map((PartitionInfo i) -> new TopicPartition(stateTopic, i.partition())).toList();
    while (!stopped) {
      if (!paused) {
        Map<Integer, Long> ends = new TreeMap<>();
        offsets.endOffsets(partitions).forEach((tp, o) -> ends.put(tp.partition(), o));
        StringBuilder o = new StringBuilder("{");
        ends.forEach((p, e) -> o.append(o.length() > 1 ? "," : "").append('"').append(p)
            .append("\":").append(e));
        Instant now = Instant.now();
        String value = "{\"bridgeId\":\"pgbridge\",\"instance\":\"test\",\"time\":\"" + now
            + "\",\"intervalMs\":" + intervalMs + ",\"source\":\"notify\",\"publishedUpTo\":\""
            + now + "\",\"position\":\"\",\"offsets\":" + o.append('}') + "}";
        producer.send(new ProducerRecord<>(heartbeatTopic,
            "pgbridge".getBytes(StandardCharsets.UTF_8),
            value.getBytes(StandardCharsets.UTF_8)));
      }
      try {
        TimeUnit.MILLISECONDS.sleep(intervalMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public void close() {
    stopped = true;
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close();
    offsets.close();
  }
}
