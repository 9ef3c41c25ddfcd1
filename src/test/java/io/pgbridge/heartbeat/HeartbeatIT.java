package io.pgbridge.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgbridge.Bridge;
import io.pgbridge.cli.ExitCodes;
import io.pgbridge.cli.Main;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TestInfra;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Heartbeats against a real PostgreSQL and Kafka: one record per interval from the leader only,
 * keyed by bridge.id, on a topic of their own, and the consumer rule of the contract holds: a
 * consumer at or past {@code offsets[p]} has the final record of every session of partition
 * {@code p} changed before {@code publishedUpTo}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HeartbeatIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static BridgeHarness harness;

  @BeforeAll
  static void create() throws Exception {
    harness = BridgeHarness.create("heartbeat_it", 3);
  }

  /** A state-topic record as a consumer sees it: where it is and which version it holds. */
  private record Placed(int partition, long offset, String key, long version) {}

  @Test
  void consumerAtTheHeartbeatOffsetsHasEveryFinalStateCommittedBeforePublishedUpTo()
      throws Exception {
    Bridge bridge = harness.startBridge(Map.of("heartbeat.interval.ms", "200",
        "bridge.id", "hb-rule", "debounce.ms", "20"));
    try (Connection c = harness.connect();
        KafkaConsumer<byte[], byte[]> beats = consumer(harness.heartbeatTopic())) {
      Map<UUID, Long> finalVersions = new HashMap<>();
      for (int i = 0; i < 60; i++) {
        UUID id = UUID.randomUUID();
        SessionWriter.insert(c, id, UUID.randomUUID(), "{\"n\":0}");
        SessionWriter.updateState(c, id, "{\"n\":1}");
        finalVersions.put(id, SessionWriter.version(c, id));
      }
      Instant committed = dbNow(c);

      JsonNode beat = awaitHeartbeat(beats, b -> b.get("bridgeId").asText().equals("hb-rule")
          && !b.get("publishedUpTo").isNull()
          && Instant.parse(b.get("publishedUpTo").asText()).isAfter(committed),
          Duration.ofSeconds(60));

      assertThat(beat.get("bridgeId").asText()).isEqualTo("hb-rule");
      assertThat(beat.get("instance").asText()).isEqualTo(bridge.instanceId());
      assertThat(beat.get("source").asText()).isEqualTo("notify");
      assertThat(beat.get("intervalMs").asLong()).isEqualTo(200);
      assertThat(beat.get("position").asText()).matches("\\d+:\\d+:[\\d,]*");
      JsonNode offsets = beat.get("offsets");
      assertThat(offsets.fieldNames()).toIterable().containsExactlyInAnyOrder("0", "1", "2");
      // read each partition only up to the heartbeat's offset: every final state is there
      List<Placed> upTo = readUpTo(harness.topic(), offsets);
      Map<String, Long> lastSeen = new HashMap<>();
      for (Placed p : upTo) {
        lastSeen.merge(p.key(), p.version(), Math::max);
      }
      finalVersions.forEach((id, v) -> assertThat(lastSeen.get(id.toString()))
          .as("session %s below offsets %s", id, offsets).isEqualTo(v));
    } finally {
      bridge.stop();
    }
  }

  @Test
  void onlyTheLeaderBeatsOncePerIntervalAndAStandbyTakesOverWithOffsetsCoveringTheOldLeader()
      throws Exception {
    Map<String, String> settings = Map.of("heartbeat.interval.ms", "250", "bridge.id",
        "hb-ha", "ha.takeover.settle.ms", "0");
    Bridge first = harness.startBridge(settings);
    Bridge second = null;
    try (Connection c = harness.connect();
        KafkaConsumer<byte[], byte[]> beats = consumer(harness.heartbeatTopic())) {
      awaitLeader(first);
      second = harness.startBridge(settings);
      awaitRole(second, "standby");
      for (int i = 0; i < 30; i++) {
        SessionWriter.insert(c, UUID.randomUUID(), UUID.randomUUID(), "{\"a\":1}");
      }
      List<JsonNode> window = collectFor(beats, "hb-ha", Duration.ofSeconds(3));
      assertThat(window).isNotEmpty()
          .allSatisfy(b -> assertThat(b.get("instance").asText()).isEqualTo(first.instanceId()));
      // 250 ms over 3 s: about 12; a wide band keeps a loaded machine from failing this
      assertThat(window.size()).isBetween(6, 16);
      Map<Integer, Long> endBefore = endOffsets(harness.topic());

      first.stop();
      Bridge next = second;
      JsonNode beat = awaitHeartbeat(beats, b -> b.get("instance").asText()
          .equals(next.instanceId()) && !b.get("publishedUpTo").isNull(), Duration.ofSeconds(60));
      endBefore.forEach((p, end) -> assertThat(beat.get("offsets").get(Integer.toString(p))
          .asLong()).as("partition %d: the new leader's offsets cover the old one's", p)
          .isGreaterThanOrEqualTo(end));
    } finally {
      first.stop();
      if (second != null) {
        second.stop();
      }
    }
  }

  @Test
  void aMissingHeartbeatTopicStopsStartUpLikeAMissingStateTopicUnlessHeartbeatsAreOff()
      throws Exception {
    String topic = TestInfra.newTopic("heartbeat-missing", 1);
    Map<String, String> settings = new HashMap<>(harness.settings(Map.of("topic", topic)));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertThat(cli(settings, "check", err)).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains(topic + ".heartbeat")
        .contains("heartbeat.interval.ms=0").contains("topic.creation.enable");

    settings.put("heartbeat.interval.ms", "0");
    assertThat(cli(settings, "check", new ByteArrayOutputStream())).isEqualTo(ExitCodes.OK);

    settings.put("heartbeat.interval.ms", "1000");
    settings.put("topic.creation.enable", "true");
    assertThat(cli(settings, "check", new ByteArrayOutputStream())).isEqualTo(ExitCodes.OK);
    try (Admin admin = admin()) {
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic + ".heartbeat");
      var config = admin.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r);
      assertThat(config.get("cleanup.policy").value()).isEqualTo("compact,delete");
      assertThat(admin.describeTopics(List.of(topic + ".heartbeat")).allTopicNames()
          .get(30, TimeUnit.SECONDS).get(topic + ".heartbeat").partitions()).hasSize(1);
    }
  }

  private static int cli(Map<String, String> settings, String command,
      ByteArrayOutputStream err) {
    Map<String, String> env = new HashMap<>();
    settings.forEach((k, v) -> env.put("PGBRIDGE_" + k.toUpperCase().replace('.', '_'), v));
    try (PrintStream o = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      return Main.run(new String[] {command}, o, e, env);
    }
  }

  private static Instant dbNow(Connection c) throws Exception {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT clock_timestamp()")) {
      rs.next();
      return rs.getTimestamp(1).toInstant();
    }
  }

  private static void awaitLeader(Bridge b) throws InterruptedException {
    awaitRole(b, "leader");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!b.state().caughtUp() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  private static void awaitRole(Bridge b, String role) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!role.equals(b.status().get("role")) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(b.status().get("role")).isEqualTo(role);
  }

  private static KafkaConsumer<byte[], byte[]> consumer(String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, harness.bootstrap());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p);
    List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
        .map(pi -> new TopicPartition(topic, pi.partition())).toList();
    consumer.assign(parts);
    consumer.seekToEnd(parts);
    parts.forEach(consumer::position); // resolve "end" now, before the test writes
    return consumer;
  }

  private static JsonNode awaitHeartbeat(KafkaConsumer<byte[], byte[]> beats,
      Predicate<JsonNode> wanted, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (ConsumerRecord<byte[], byte[]> r : beats.poll(Duration.ofMillis(200))) {
        JsonNode v = JSON.readTree(r.value());
        assertThat(new String(r.key(), StandardCharsets.UTF_8))
            .isEqualTo(v.get("bridgeId").asText());
        if (wanted.test(v)) {
          return v;
        }
      }
    }
    throw new AssertionError("no such heartbeat within " + timeout);
  }

  private static List<JsonNode> collectFor(KafkaConsumer<byte[], byte[]> beats, String bridgeId,
      Duration window) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    long end = System.nanoTime() + window.toNanos();
    while (System.nanoTime() < end) {
      for (ConsumerRecord<byte[], byte[]> r : beats.poll(Duration.ofMillis(100))) {
        JsonNode v = JSON.readTree(r.value());
        if (v.get("bridgeId").asText().equals(bridgeId)) {
          out.add(v);
        }
      }
    }
    return out;
  }

  private static List<Placed> readUpTo(String topic, JsonNode offsets) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, harness.bootstrap());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    List<Placed> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      Map<TopicPartition, Long> limits = new HashMap<>();
      offsets.fields().forEachRemaining(e -> limits.put(
          new TopicPartition(topic, Integer.parseInt(e.getKey())), e.getValue().asLong()));
      consumer.assign(limits.keySet());
      consumer.seekToBeginning(limits.keySet());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (limits.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())
          && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() < limits.get(new TopicPartition(topic, r.partition()))) {
            String version = new String(r.headers().lastHeader("pgbridge.version").value(),
                StandardCharsets.UTF_8);
            out.add(new Placed(r.partition(), r.offset(),
                new String(r.key(), StandardCharsets.UTF_8), Long.parseLong(version)));
          }
        }
      }
    }
    return out;
  }

  private static Map<Integer, Long> endOffsets(String topic) throws Exception {
    try (Admin admin = admin()) {
      return new TopicEndOffsets(admin, topic).read();
    }
  }

  private static Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, harness.bootstrap()));
  }
}
