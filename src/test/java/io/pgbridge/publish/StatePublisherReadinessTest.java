package io.pgbridge.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.DueSession;
import io.pgbridge.config.BridgeConfig.ValueFormat;
import io.pgbridge.fetch.SessionRow;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.time.ManualTicker;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * What the publisher tells readiness: stalled while no acknowledgement came for the threshold,
 * also across the failures and retries of a long Kafka outage (not ready again for 15 s after
 * every delivery timeout), and not producing while the producer refuses every send with an
 * error retrying cannot fix. Time is a manual ticker; the producer is Kafka's MockProducer.
 */
class StatePublisherReadinessTest {

  private static final long STALL = TimeUnit.SECONDS.toNanos(15);

  private final ManualTicker ticker = new ManualTicker();
  private final MockProducer<byte[], byte[]> producer = new MockProducer<>(false, null,
      new ByteArraySerializer(), new ByteArraySerializer());
  private final ChangeSources sources = new ChangeSources(List.of("generation_sessions"));
  private final StatePublisher publisher = new StatePublisher(producer, "t",
      new RecordBuilder(ValueFormat.ENVELOPE, false), sources, new VersionCache(100),
      new AckedOffsets(),
      new BridgeMetrics(new SimpleMeterRegistry(), "test", sources), new PublishOutcome() {
        @Override
        public void done(DueSession session) {}

        @Override
        public void retry(DueSession session, Exception cause) {}

        @Override
        public void fatal(DueSession session, Exception cause) {}

        @Override
        public void refreshed(DueSession session) {}

        @Override
        public void unchanged(DueSession session) {}
      }, new ErrorPolicy(false, null, false), ticker, Clock.systemUTC());
  private long version;

  private void publishOne() {
    UUID id = UUID.randomUUID();
    DueSession due = new DueSession(id, ChangeSources.CATCHUP, ticker.nanos());
    publisher.publish(List.of(due), Map.of(id, new SessionRow(id, UUID.randomUUID(),
        ++version, Instant.now(), "{}".getBytes(StandardCharsets.UTF_8))), ticker.nanos());
  }

  @Test
  void staysStalledThroughDeliveryTimeoutsAndRetriesUntilAnAcknowledgement() {
    publishOne();
    ticker.advance(Duration.ofSeconds(16));
    assertThat(publisher.stalled(STALL)).isTrue();
    // the delivery timeout fails the record; nothing is outstanding any more
    producer.errorNext(new TimeoutException("Expiring 1 record(s)"));
    assertThat(publisher.outstanding()).isZero();
    assertThat(publisher.stalled(STALL)).as("failed, still no acknowledgement").isTrue();
    // the retry goes out: a fresh send does not restart the stall clock after a failure
    publishOne();
    ticker.advance(Duration.ofSeconds(1));
    assertThat(publisher.stalled(STALL)).isTrue();
    producer.errorNext(new TimeoutException("Expiring 1 record(s)"));
    publishOne();
    ticker.advance(Duration.ofSeconds(120));
    assertThat(publisher.stalled(STALL)).isTrue();
    // Kafka is back
    producer.completeNext();
    assertThat(publisher.stalled(STALL)).isFalse();
    assertThat(publisher.producing()).isTrue();
  }

  @Test
  void anIdleProducerIsNotStalledAndAFreshSendStartsTheClock() {
    ticker.advance(Duration.ofMinutes(5));
    assertThat(publisher.stalled(STALL)).isFalse();
    publishOne();
    ticker.advance(Duration.ofSeconds(10));
    assertThat(publisher.stalled(STALL)).isFalse();
    ticker.advance(Duration.ofSeconds(6));
    assertThat(publisher.stalled(STALL)).isTrue();
  }

  @Test
  void aProducerThatRefusesEverySendIsNotProducingUntilAnAcknowledgement() {
    publishOne();
    producer.errorNext(new UnsupportedVersionException("the broker is too old"));
    assertThat(publisher.producing()).isFalse();
    assertThat(publisher.lastError()).contains("too old");
    publishOne();
    producer.completeNext();
    assertThat(publisher.producing()).isTrue();
  }
}
