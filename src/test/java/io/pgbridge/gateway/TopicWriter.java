package io.pgbridge.gateway;

import io.pgbridge.config.BridgeConfig.ValueFormat;
import io.pgbridge.fetch.SessionRow;
import io.pgbridge.publish.InvalidStateException;
import io.pgbridge.publish.RecordBuilder;
import io.pgbridge.publish.StateRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes the state topic exactly as the bridge would (its own {@link RecordBuilder}), and the
 * heartbeat topic as the heartbeat contract describes it, so gateway tests can drive the
 * gateway without a database where the database adds nothing. Test thread only.
 */
final class TopicWriter implements AutoCloseable {

  private final KafkaProducer<byte[], byte[]> producer;
  private final String bootstrap;
  private final String topic;
  private final RecordBuilder builder = new RecordBuilder(ValueFormat.ENVELOPE, false);

  TopicWriter(String bootstrap, String topic) {
    this.bootstrap = bootstrap;
    this.topic = topic;
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    producer = new KafkaProducer<>(p);
  }

  void state(UUID session, UUID project, long version, String stateJson) {
    try {
      send(builder.build(new SessionRow(session, project, version, Instant.now(),
          stateJson.getBytes(StandardCharsets.UTF_8)), "generation_sessions:UPDATE"));
    } catch (InvalidStateException e) {
      throw new IllegalArgumentException(e);
    }
  }

  void tombstone(UUID session) {
    send(builder.tombstone(session, "generation_sessions:DELETE"));
  }

  private void send(StateRecord r) {
    List<org.apache.kafka.common.header.Header> headers = new ArrayList<>();
    for (StateRecord.Header h : r.headers()) {
      headers.add(new RecordHeader(h.key(), h.value()));
    }
    try {
      producer.send(new ProducerRecord<>(topic, null, r.key(), r.value(), headers)).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One heartbeat per the contract, with the state topic's current end offsets. */
  void heartbeat(String heartbeatTopic, long intervalMs) {
    Map<TopicPartition, Long> ends = endOffsets();
    StringBuilder offsets = new StringBuilder("{");
    ends.forEach((tp, o) -> offsets.append(offsets.length() > 1 ? "," : "").append('"')
        .append(tp.partition()).append("\":").append(o));
    offsets.append('}');
    Instant now = Instant.now();
    String value = "{\"bridgeId\":\"pgbridge\",\"instance\":\"test\",\"time\":\"" + now
        + "\",\"intervalMs\":" + intervalMs + ",\"source\":\"notify\",\"publishedUpTo\":\""
        + now.minusMillis(1) + "\",\"position\":\"test\",\"offsets\":" + offsets + "}";
    try {
      producer.send(new ProducerRecord<>(heartbeatTopic, "pgbridge".getBytes(
          StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8))).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  private Map<TopicPartition, Long> endOffsets() {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        bootstrap))) {
      int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic)
          .partitions().size();
      Map<TopicPartition, OffsetSpec> want = new java.util.HashMap<>();
      for (int i = 0; i < partitions; i++) {
        want.put(new TopicPartition(topic, i), OffsetSpec.latest());
      }
      Map<TopicPartition, Long> out = new java.util.TreeMap<>(
          java.util.Comparator.comparingInt(TopicPartition::partition));
      admin.listOffsets(want).all().get().forEach((tp, info) -> out.put(tp, info.offset()));
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    producer.close();
  }
}
