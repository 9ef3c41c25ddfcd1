package io.pgbridge.heartbeat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgbridge.BridgeState;
import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.publish.AckedOffsets;
import io.pgbridge.time.ManualTicker;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** What one heartbeat interval does, with Kafka's in-memory producer and an injected clock. */
class HeartbeaterTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant NOW = Instant.parse("2026-12-02T10:15:30.123Z");

  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  private final BridgeState state = new BridgeState();
  private final AckedOffsets offsets = new AckedOffsets();
  private final AtomicInteger endOffsetReads = new AtomicInteger();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ManualTicker ticker = new ManualTicker();
  private Optional<PublishedPosition> position = Optional.empty();
  private final Heartbeater heartbeater = new Heartbeater(producer, "state.heartbeat", "pgbridge",
      "pgbridge-abc123", 2000, new PositionSource() {
        @Override
        public String sourceName() {
          return "notify";
        }

        @Override
        public Optional<PublishedPosition> current() {
          return position;
        }
      }, offsets, () -> {
        endOffsetReads.incrementAndGet();
        return Map.of(0, 7L, 1, 3L);
      }, state, new BridgeMetrics(registry, "pgbridge",
          new ChangeSources(List.of("generation_sessions")), ticker), ticker,
      Clock.fixed(NOW, ZoneOffset.UTC));

  private void lead() {
    state.connected(true);
    state.newGeneration();
    state.role(BridgeState.Role.LEADER);
  }

  @Test
  void aStandbySendsNothingAndReadsNothing() {
    state.role(BridgeState.Role.STANDBY);
    heartbeater.beat();
    assertThat(producer.history()).isEmpty();
    assertThat(endOffsetReads).hasValue(0);
  }

  @Test
  void theLeaderSendsOneRecordKeyedByBridgeIdToTheHeartbeatTopic() throws Exception {
    lead();
    heartbeater.beat();
    assertThat(producer.history()).hasSize(1);
    ProducerRecord<byte[], byte[]> r = producer.history().get(0);
    assertThat(r.topic()).isEqualTo("state.heartbeat");
    assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("pgbridge");
    JsonNode v = JSON.readTree(r.value());
    assertThat(v.get("time").asText()).isEqualTo("2026-12-02T10:15:30.123Z");
    assertThat(v.get("instance").asText()).isEqualTo("pgbridge-abc123");
    assertThat(v.get("intervalMs").asLong()).isEqualTo(2000);
    assertThat(v.get("publishedUpTo").isNull()).as("no position yet").isTrue();
    assertThat(heartbeater.lastSent().time()).isEqualTo(NOW);
    assertThat(registry.get("pgbridge.heartbeats").counter().count()).isEqualTo(1);
  }

  @Test
  void endOffsetsAreReadOncePerListenerGenerationBeforeTheHeartbeat() {
    lead();
    heartbeater.beat();
    heartbeater.beat();
    assertThat(endOffsetReads).hasValue(1);
    assertThat(offsets.snapshotIfSeeded(state.generation()).orElseThrow().offsets())
        .containsEntry(0, 7L).containsEntry(1, 3L);
    state.newGeneration(); // a reconnect: another instance may have led in between
    heartbeater.beat();
    assertThat(endOffsetReads).hasValue(2);
  }

  @Test
  void thePositionOfTheAcknowledgementSideIsSentAsItIs() throws Exception {
    lead();
    position = Optional.of(new PublishedPosition(Instant.parse("2026-12-02T10:15:25.001Z"),
        "742:745:743", Map.of(0, 1234L, 1, 988L)));
    heartbeater.beat();
    JsonNode v = JSON.readTree(producer.history().get(0).value());
    assertThat(v.get("publishedUpTo").asText()).isEqualTo("2026-12-02T10:15:25.001Z");
    assertThat(v.get("position").asText()).isEqualTo("742:745:743");
    assertThat(v.get("offsets").get("0").asLong()).isEqualTo(1234);
    assertThat(heartbeater.lastSent().publishedUpTo())
        .isEqualTo(Instant.parse("2026-12-02T10:15:25.001Z"));
  }

  @Test
  void aFailedSendIsCountedAsAnErrorNotThrown() {
    MockProducer<byte[], byte[]> failing =
        new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    Heartbeater h = new Heartbeater(failing, "t.heartbeat", "b", "b-1", 1000,
        new PositionSource() {
          @Override
          public String sourceName() {
            return "notify";
          }

          @Override
          public Optional<PublishedPosition> current() {
            return Optional.empty();
          }
        }, offsets, Map::of, state,
        new BridgeMetrics(registry, "b", new ChangeSources(List.of("s")), ticker), ticker,
        Clock.fixed(NOW, ZoneOffset.UTC));
    lead();
    h.beat();
    failing.errorNext(new org.apache.kafka.common.errors.TimeoutException("broker down"));
    assertThat(h.lastSent()).isNull();
    // every kind exists at 0 for each bridge of the registry: this test's bridge is "b"
    assertThat(registry.get("pgbridge.errors").tag("bridge", "b").tag("kind", "heartbeat")
        .counter().count())
        .isEqualTo(1);
  }
}
