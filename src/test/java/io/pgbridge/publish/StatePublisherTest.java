package io.pgbridge.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.ChangeSources.Op;
import io.pgbridge.coalesce.DueSession;
import io.pgbridge.config.BridgeConfig.ValueFormat;
import io.pgbridge.fetch.SessionRow;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.time.ManualTicker;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** How the publisher reports each session's end, with Kafka's in-memory producer. */
class StatePublisherTest {

  private static final UUID A = UUID.fromString("00000000-0000-0000-0000-00000000000a");
  private static final long UPDATE = ChangeSources.bit(0, Op.UPDATE);

  private final MockProducer<byte[], byte[]> producer =
      new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  private final VersionCache versions = new VersionCache(100);
  private final AckedOffsets offsets = new AckedOffsets();
  private final List<String> outcomes = new ArrayList<>();
  private final ChangeSources sources = new ChangeSources(List.of("generation_sessions"));
  private final ManualTicker ticker = new ManualTicker();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final StatePublisher publisher = new StatePublisher(producer, "state",
      new RecordBuilder(ValueFormat.ENVELOPE, false), sources, versions, offsets,
      new BridgeMetrics(registry, "b", sources, ticker), new PublishOutcome() {
        @Override
        public void done(DueSession s) {
          outcomes.add("done");
        }

        @Override
        public void refreshed(DueSession s) {
          outcomes.add("refreshed");
        }

        @Override
        public void unchanged(DueSession s) {
          outcomes.add("unchanged");
        }

        @Override
        public void retry(DueSession s, Exception cause) {
          outcomes.add("retry");
        }

        @Override
        public void fatal(DueSession s, Exception cause) {
          outcomes.add("fatal");
        }
      }, new ErrorPolicy(false, null, false), ticker, Clock.systemUTC());

  private static SessionRow row(long version) {
    return new SessionRow(A, UUID.randomUUID(), version, Instant.parse("2026-12-02T10:00:00Z"),
        "{}".getBytes(StandardCharsets.UTF_8));
  }

  private void publish(long sourcesMask, SessionRow row) {
    publisher.publish(List.of(new DueSession(A, sourcesMask, 0)), Map.of(A, row), 0);
  }

  @Test
  void aRecordAfterAnUnknownVersionIsARefreshAndAfterAKnownOneAPublish() {
    publish(UPDATE, row(3));
    publish(UPDATE, row(4));
    publish(UPDATE, row(4));
    publish(UPDATE | ChangeSources.REPUBLISH, row(4));
    assertThat(outcomes).containsExactly("refreshed", "done", "unchanged", "refreshed");
    assertThat(producer.history()).hasSize(3);
  }

  @Test
  void eachAcknowledgedRecordRecordsItsWaitUntilTheFetchStarted() {
    ticker.advance(java.time.Duration.ofMillis(10));
    publisher.publish(List.of(new DueSession(A, UPDATE, 1_000_000)), Map.of(A, row(1)),
        6_000_000);
    publisher.publish(List.of(new DueSession(A, UPDATE, 0)), Map.of(A, row(1)), 9_000_000);
    var timer = registry.get("pgbridge.lag.notification.to.fetch").timer();
    assertThat(timer.count()).as("the unchanged second fetch is no record").isEqualTo(1);
    assertThat(timer.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(5.0);
  }

  @Test
  void theRecordOfASessionInsertedSinceStartIsNewState() {
    publish(ChangeSources.bit(0, Op.INSERT), row(1));
    assertThat(outcomes).containsExactly("done");
  }

  @Test
  void acknowledgedOffsetsAreRecordedBeforeTheSessionCompletes() {
    publish(UPDATE, row(1));
    offsets.seed(1, offsets.epoch(), Map.of());
    assertThat(offsets.snapshotIfSeeded(1).orElseThrow().offsets()).containsEntry(0, 1L);
  }
}
