package io.pgbridge.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a peer's topic from the beginning on its own thread ({@code bench-consumer}) and notes,
 * per session, every record's version (header {@code pgbridge.version}, which every peer sets)
 * with {@code System.nanoTime()} at receipt, plus the last value (only the last: a 64 KB
 * workload would not fit otherwise). Results are read after {@link #close()}, or through the
 * volatile counters while running.
 */
final class LagConsumer implements AutoCloseable {

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<UUID, Integer> index;
  /** Per session: version, receipt nanos, ... */
  final long[][] receipts;
  final int[] receiptCount;
  final byte[][] lastValue;
  final long[] lastVersion;
  final AtomicLong records = new AtomicLong();
  final AtomicLong bytes = new AtomicLong();
  final AtomicLong foreign = new AtomicLong();
  private final Thread thread;
  private volatile boolean running = true;

  LagConsumer(String bootstrap, String topic, Map<UUID, Integer> index, int sessions) {
    this.index = index;
    receipts = new long[sessions][];
    receiptCount = new int[sessions];
    lastValue = new byte[sessions][];
    lastVersion = new long[sessions];
    Arrays.fill(lastVersion, -1);
    Map<String, Object> p = new HashMap<>();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-consumer");
    consumer = new KafkaConsumer<>(p);
    List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
        .map(pi -> new TopicPartition(topic, pi.partition())).toList();
    consumer.assign(parts);
    consumer.seekToBeginning(parts);
    thread = new Thread(this::loop, "bench-consumer");
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    while (running) {
      var batch = consumer.poll(Duration.ofMillis(50));
      long now = System.nanoTime();
      for (ConsumerRecord<byte[], byte[]> r : batch) {
        Integer s = index.get(UUID.fromString(new String(r.key(), StandardCharsets.UTF_8)));
        Header h = r.headers().lastHeader("pgbridge.version");
        if (s == null || h == null || s >= receipts.length) {
          foreign.incrementAndGet();
          continue;
        }
        long version = Long.parseLong(new String(h.value(), StandardCharsets.UTF_8));
        long[] a = receipts[s];
        int n = receiptCount[s];
        if (a == null) {
          a = new long[32];
        } else if (n * 2 + 2 > a.length) {
          a = Arrays.copyOf(a, a.length * 2);
        }
        a[n * 2] = version;
        a[n * 2 + 1] = now;
        receipts[s] = a;
        receiptCount[s] = n + 1;
        synchronized (lastVersion) {
          lastVersion[s] = version;
          lastValue[s] = r.value();
        }
        records.incrementAndGet();
        bytes.addAndGet(r.value() == null ? 0 : r.value().length);
      }
    }
  }

  /** The last version received for session {@code s}, -1 if none; callable while running. */
  long lastVersion(int s) {
    synchronized (lastVersion) {
      return lastVersion[s];
    }
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(10_000);
    consumer.close(Duration.ofSeconds(5));
  }
}
