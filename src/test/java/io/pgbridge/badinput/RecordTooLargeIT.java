package io.pgbridge.badinput;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pgbridge.Bridge;
import io.pgbridge.BridgeState.Role;
import io.pgbridge.publish.DeadLetters;
import io.pgbridge.publish.RecordBuilder;
import io.pgbridge.publish.StatePublisher;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TestInfra;
import io.pgbridge.testing.TopicReader;
import io.pgbridge.testing.TopicReader.Received;
import java.sql.Connection;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * A session whose record exceeds the producer's {@code max.request.size}: Kafka refuses it for
 * good, so it follows {@code errors.tolerance} like any unpublishable record.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RecordTooLargeIT {

  private static final String LIMIT = "10000";

  /** About 50 KB of incompressible JSON, five times the limit. */
  private static String hugeState() {
    byte[] noise = new byte[37_500];
    new Random(42).nextBytes(noise);
    return "{\"blob\":\"" + Base64.getEncoder().encodeToString(noise) + "\"}";
  }

  @Test
  void toleranceNoneStopsWithAnErrorNamingTheSessionAndTheLimit() throws Exception {
    BridgeHarness h = BridgeHarness.create("badinput_large_none", 1);
    UUID small = UUID.randomUUID();
    UUID huge = UUID.randomUUID();
    Bridge bridge = h.startBridge(Map.of("kafka.max.request.size", LIMIT,
        "errors.tolerance", "none"));
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      SessionWriter.insert(c, small, UUID.randomUUID(), "{\"ok\":true}");
      assertThat(reader.pollUntil(r -> r.last(small) != null, Duration.ofSeconds(20))).isTrue();
      SessionWriter.insert(c, huge, UUID.randomUUID(), hugeState());

      assertThat(bridge.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
      assertThat(bridge.state().role()).isEqualTo(Role.FAILED);
      Throwable failure = bridge.failure();
      assertThat(failure).hasRootCauseInstanceOf(RecordTooLargeException.class);
      assertThat(failure.getMessage()).contains(huge.toString())
          .contains("max.request.size").contains("errors.tolerance");
      assertThat(Checkpoints.covers(c, huge)).isFalse();
      reader.drain(Duration.ofMillis(500));
      assertThat(reader.records(huge)).isEmpty();
    } finally {
      bridge.stop();
    }
  }

  @Test
  void toleranceAllDeadLettersWithoutTheValueAndGoesOn() throws Exception {
    BridgeHarness h = BridgeHarness.create("badinput_large_all", 1);
    String dlq = TestInfra.newTopic("badinput-large-dlq", 1);
    UUID huge = UUID.randomUUID();
    UUID after = UUID.randomUUID();
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    Logger publisherLog = (Logger) LoggerFactory.getLogger(StatePublisher.class);
    publisherLog.addAppender(logs);
    Bridge bridge = h.startBridge(Map.of("kafka.max.request.size", LIMIT,
        "errors.tolerance", "all", "errors.deadletterqueue.topic.name", dlq));
    try (Connection c = h.connect(); TopicReader reader = h.reader();
        TopicReader dead = new TopicReader(h.bootstrap(), dlq)) {
      String state = hugeState();
      SessionWriter.insert(c, huge, UUID.randomUUID(), state);
      SessionWriter.insert(c, after, UUID.randomUUID(), "{\"after\":true}");

      assertThat(dead.pollUntil(r -> r.last(huge) != null, Duration.ofSeconds(20))).isTrue();
      Received letter = dead.last(huge);
      assertThat(letter.tombstone()).as("value dropped").isTrue();
      // context headers are off by default, as in Kafka Connect: the record's own headers only
      assertThat(letter.version()).isEqualTo(SessionWriter.version(c, huge));
      assertThat(letter.headers()).containsKey(RecordBuilder.HEADER_SOURCES)
          .allSatisfy((k, v) -> assertThat(k).doesNotStartWith(DeadLetters.CONTEXT_PREFIX));
      // and errors.log.enable=false: the tolerated error is counted, not logged
      assertThat(logs.list).noneMatch(e -> e.getLevel() == Level.ERROR);

      assertThat(reader.pollUntil(r -> r.last(after) != null, Duration.ofSeconds(20))).isTrue();
      assertThat(reader.records(huge)).isEmpty();
      assertThat(bridge.metrics().deadLettered().count()).isEqualTo(1.0);
      assertThat(bridge.failure()).isNull();
      assertThat(bridge.state().role()).isEqualTo(Role.LEADER);

      // the session recovers once it fits again
      SessionWriter.updateState(c, huge, "{\"trimmed\":true}");
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(20))).isEmpty();
    } finally {
      bridge.stop();
      publisherLog.detachAppender(logs);
    }
  }
}
