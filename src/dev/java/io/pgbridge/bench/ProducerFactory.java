package io.pgbridge.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The producer the non-pgbridge peers use: the same settings pgbridge's own producer has
 * (idempotent, acks=all, linger 0 ms, lz4), so that Kafka costs the same for every peer.
 */
final class ProducerFactory {

  private ProducerFactory() {}

  record Handle(Producer<byte[], byte[]> producer) implements AutoCloseable {
    @Override
    public void close() {
      producer.close(Duration.ofSeconds(10));
    }
  }

  static Handle create(String bootstrap, String clientId) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    return new Handle(new KafkaProducer<>(p));
  }
}
