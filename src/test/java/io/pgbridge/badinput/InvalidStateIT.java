package io.pgbridge.badinput;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pgbridge.Bridge;
import io.pgbridge.BridgeState.Role;
import io.pgbridge.publish.DeadLetters;
import io.pgbridge.publish.InvalidStateException;
import io.pgbridge.publish.RecordBuilder;
import io.pgbridge.publish.StatePublisher;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TestInfra;
import io.pgbridge.testing.TopicReader;
import io.pgbridge.testing.TopicReader.Received;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * An application schema whose {@code raw_state} is {@code text}, so PostgreSQL does not
 * guarantee JSON and a row can hold something the envelope format cannot embed. Such a row
 * follows {@code errors.tolerance}: {@code none} stops the bridge without checkpointing past
 * it, {@code all} dead-letters it and goes on.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class InvalidStateIT {

  private static final String NOT_JSON = "not json {";

  private static BridgeHarness textStateSchema(String name) throws SQLException {
    BridgeHarness h = BridgeHarness.create(name, 1);
    try (Connection c = h.connect(); Statement st = c.createStatement()) {
      st.execute("ALTER TABLE generation_sessions ALTER COLUMN raw_state TYPE text"
          + " USING raw_state::text");
    }
    return h;
  }

  private static void insertText(Connection c, UUID id, String state) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO generation_sessions"
        + " (id, project_id, raw_state) VALUES (?, ?, ?)")) {
      ps.setObject(1, id);
      ps.setObject(2, UUID.randomUUID());
      ps.setString(3, state);
      ps.executeUpdate();
    }
  }

  @Test
  void toleranceNoneStopsOnInvalidJsonAndCheckpointsNothingPastIt() throws Exception {
    BridgeHarness h = textStateSchema("badinput_state_none");
    UUID good = UUID.randomUUID();
    UUID bad = UUID.randomUUID();
    UUID later = UUID.randomUUID();
    Bridge bridge = h.startBridge(Map.of("errors.tolerance", "none"));
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      insertText(c, good, "{\"ok\":1}");
      assertThat(reader.pollUntil(r -> r.last(good) != null, Duration.ofSeconds(20))).isTrue();
      assertThat(Checkpoints.awaitCovering(c, good)).isTrue();

      insertText(c, bad, NOT_JSON);
      assertThat(bridge.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
      assertThat(bridge.state().role()).isEqualTo(Role.FAILED);
      assertThat(bridge.failure()).hasCauseInstanceOf(InvalidStateException.class);
      assertThat(bridge.failure().getMessage()).contains(bad.toString())
          .contains("not valid JSON").contains("errors.tolerance");
      assertThat(Checkpoints.covers(c, bad)).isFalse();
      reader.drain(Duration.ofMillis(500));
      assertThat(reader.records(bad)).isEmpty();

      insertText(c, later, "{\"written\":\"while stopped\"}");
      // repaired without firing triggers: same version and txid, so only a checkpoint that
      // stopped short of the bad change brings it back
      try (Statement st = c.createStatement()) {
        st.execute("SET session_replication_role = replica");
        st.execute("UPDATE generation_sessions SET raw_state = '{\"repaired\":true}'"
            + " WHERE id = '" + bad + "'");
        st.execute("SET session_replication_role = origin");
      }
      Bridge second = h.startBridge(Map.of("errors.tolerance", "none"));
      try {
        assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(30)))
            .isEmpty();
        assertThat(SessionWriter.parse(reader.last(bad).value()).get("state").get("repaired")
            .asBoolean()).isTrue();
        assertThat(second.failure()).isNull();
      } finally {
        second.stop();
      }
    } finally {
      bridge.stop();
    }
  }

  @Test
  void toleranceAllDeadLettersInvalidJsonWithContextHeadersLogsItAndGoesOn() throws Exception {
    BridgeHarness h = textStateSchema("badinput_state_all");
    String dlq = TestInfra.newTopic("badinput-state-dlq", 1);
    UUID before = UUID.randomUUID();
    UUID bad = UUID.randomUUID();
    UUID after1 = UUID.randomUUID();
    UUID after2 = UUID.randomUUID();
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    publisherLogger().addAppender(logs);
    Bridge bridge = h.startBridge(Map.of("errors.tolerance", "all",
        "errors.deadletterqueue.topic.name", dlq,
        "errors.deadletterqueue.context.headers.enable", "true",
        "errors.log.enable", "true"));
    try (Connection c = h.connect(); TopicReader reader = h.reader();
        TopicReader dead = new TopicReader(h.bootstrap(), dlq)) {
      insertText(c, before, "{\"n\":0}");
      assertThat(reader.pollUntil(r -> r.last(before) != null, Duration.ofSeconds(20)))
          .isTrue();
      insertText(c, bad, NOT_JSON);
      insertText(c, after1, "{\"n\":1}");
      insertText(c, after2, "{\"n\":2}");

      assertThat(dead.pollUntil(r -> r.last(bad) != null, Duration.ofSeconds(20))).isTrue();
      Received letter = dead.last(bad);
      assertThat(letter.value()).isEqualTo(NOT_JSON);
      // the record's own headers, as Connect keeps the original record's
      assertThat(letter.version()).isEqualTo(SessionWriter.version(c, bad));
      assertThat(letter.headers()).containsKeys(RecordBuilder.HEADER_PROJECT_ID,
          RecordBuilder.HEADER_SOURCES);
      // and the context headers
      assertThat(letter.headers())
          .containsEntry(DeadLetters.HEADER_TOPIC, h.topic())
          .containsEntry(DeadLetters.HEADER_BRIDGE_ID, "pgbridge")
          .containsEntry(DeadLetters.HEADER_INSTANCE, bridge.instanceId())
          .containsEntry(DeadLetters.HEADER_STAGE, "VALUE_CONVERTER")
          .containsEntry(DeadLetters.HEADER_CLASS_NAME, RecordBuilder.class.getName())
          .containsEntry(DeadLetters.HEADER_EXCEPTION_CLASS,
              InvalidStateException.class.getName())
          .containsEntry(DeadLetters.HEADER_VALUE_SIZE, Integer.toString(NOT_JSON.length()));
      assertThat(letter.headers().get(DeadLetters.HEADER_EXCEPTION_MESSAGE))
          .contains(bad.toString()).contains("not valid JSON");
      assertThat(letter.headers().get(DeadLetters.HEADER_EXCEPTION_STACKTRACE))
          .startsWith(InvalidStateException.class.getName()).contains("\tat io.pgbridge.");
      // errors.log.enable: one ERROR line naming the session, never its state
      assertThat(logs.list).filteredOn(e -> e.getLevel() == Level.ERROR).singleElement()
          .satisfies(e -> assertThat(e.getFormattedMessage()).contains(bad.toString())
              .contains("VALUE_CONVERTER").contains(dlq).doesNotContain(NOT_JSON));

      assertThat(reader.pollUntil(r -> r.last(after1) != null && r.last(after2) != null,
          Duration.ofSeconds(20))).isTrue();
      assertThat(SessionWriter.parse(reader.last(after2).value()).get("state").get("n").asInt())
          .isEqualTo(2);
      assertThat(reader.records(bad)).isEmpty();
      assertThat(bridge.metrics().deadLettered().count()).isEqualTo(1.0);
      assertThat(bridge.failure()).isNull();
      assertThat(bridge.state().role()).isEqualTo(Role.LEADER);
      // dead-lettered counts as handled: the checkpoint moves past it
      assertThat(Checkpoints.awaitCovering(c, after2)).isTrue();
      assertThat(Checkpoints.covers(c, bad)).isTrue();
      dead.drain(Duration.ofMillis(300));
      assertThat(dead.all()).hasSize(1);
    } finally {
      bridge.stop();
      publisherLogger().detachAppender(logs);
    }
  }

  private static Logger publisherLogger() {
    return (Logger) LoggerFactory.getLogger(StatePublisher.class);
  }
}
