package io.pgbridge.badinput;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.core.instrument.Counter;
import io.pgbridge.Bridge;
import io.pgbridge.BridgeState.Role;
import io.pgbridge.source.notify.NotifySource;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TopicReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/**
 * Hostile payloads on the bridge's own channel, sent the way any database user can
 * ({@code pg_notify}), between real session updates: none stops the bridge or reaches SQL,
 * each is counted by reason, and each reason is logged at WARN once, then at DEBUG.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MalformedNotificationsIT {

  private static final String CHANNEL = "generation_updates";

  /** Payload to the reason it must be counted under. */
  private static Map<String, String> hostilePayloads() {
    String real = UUID.randomUUID().toString();
    Map<String, String> p = new LinkedHashMap<>();
    p.put("this is not json", "not_json");
    p.put("{}", "missing_session_id");
    p.put("{\"table\":\"generation_sessions\",\"op\":\"UPDATE\"}", "missing_session_id");
    p.put("{\"table\":\"generation_sessions\",\"op\":\"UPDATE\",\"session_id\":42}",
        "wrong_type");
    p.put("{\"table\":\"generation_sessions\",\"op\":\"UPDATE\",\"session_id\":\"abc-123\"}",
        "bad_session_id");
    p.put("{\"table\":\"generation_sessions\",\"op\":\"UPDATE\",\"session_id\":"
        + "\"x'); DROP TABLE generation_sessions; --\"}", "bad_session_id");
    p.put("{\"table\":\"users; DROP TABLE generation_sessions\",\"op\":\"UPDATE\","
        + "\"session_id\":\"" + real + "\"}", "unknown_table");
    p.put("{\"table\":\"generation_sessions\",\"op\":\"TRUNCATE\",\"session_id\":\"" + real
        + "\"}", "bad_operation");
    p.put(nearTheLimit(), "bad_session_id");
    p.put("{\"table\":\"generation_sessions\",\"x\":" + "[".repeat(3000) + "]".repeat(3000)
        + "}", "not_json");
    p.put("[{\"table\":\"generation_sessions\",\"op\":\"UPDATE\",\"session_id\":\"" + real
        + "\"}]", "not_json");
    p.put("{\"table\":\"generation_sessions\",\"op\":\"UPDATE\",\"session_id\":"
        + "\"\u202e\u0301\uFFFD\uD83D\uDE00\u00e9\u4e2d\\u0000\"}", "bad_session_id");
    p.put("\uFEFF\uD83D\uDCA9{\u0007", "not_json");
    return p;
  }

  /** A well-formed payload a few bytes under PostgreSQL's 8000-byte limit. */
  private static String nearTheLimit() {
    String head = "{\"table\":\"generation_sessions\",\"op\":\"UPDATE\",\"session_id\":\"";
    String tail = "\"}";
    String payload = head + "a".repeat(7990 - head.length() - tail.length()) + tail;
    assertThat(payload.getBytes(StandardCharsets.UTF_8)).hasSize(7990);
    return payload;
  }

  @Test
  void hostilePayloadsAreCountedAndLoggedOnceWhileRealSessionsStillArrive() throws Exception {
    BridgeHarness h = BridgeHarness.create("badinput_malformed", 1);
    Logger listenerLog = (Logger) LoggerFactory.getLogger(NotifySource.class);
    Level before = listenerLog.getLevel();
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    listenerLog.addAppender(logs);
    listenerLog.setLevel(Level.DEBUG);
    Map<String, String> payloads = hostilePayloads();
    Map<String, Integer> expected = new TreeMap<>();
    payloads.values().forEach(r -> expected.merge(r, 2, Integer::sum));
    Bridge bridge = h.startBridge(Map.of());
    List<UUID> sessions = new ArrayList<>();
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      awaitLeader(bridge);
      for (int round = 0; round < 2; round++) {
        for (String payload : payloads.keySet()) {
          UUID id = UUID.randomUUID();
          sessions.add(id);
          SessionWriter.insert(c, id, UUID.randomUUID(), "{\"round\":" + round + "}");
          notify(c, payload);
          SessionWriter.updateState(c, id, "{\"round\":" + round + ",\"after\":true}");
        }
      }

      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(30))).isEmpty();
      assertThat(reader.all()).extracting(TopicReader.Received::key)
          .allMatch(k -> sessions.contains(UUID.fromString(k)));
      assertThat(awaitCounts(bridge, expected)).isEqualTo(expected);
      assertThat(bridge.failure()).isNull();
      assertThat(bridge.state().role()).isEqualTo(Role.LEADER);
      assertThat(sessionRows(c)).isEqualTo(sessions.size());

      List<ILoggingEvent> ignored = logs.list.stream()
          .filter(e -> e.getFormattedMessage().startsWith("ignored a notification")).toList();
      for (String reason : expected.keySet()) {
        // a change naming an unknown table is not ignored: its session is routed by id
        List<ILoggingEvent> forReason = reason.equals("unknown_table")
            ? logs.list.stream().filter(e -> e.getFormattedMessage()
                .contains("which is not a configured table")).toList()
            : ignored.stream()
                .filter(e -> e.getFormattedMessage().contains("(" + reason + ":")).toList();
        assertThat(forReason).as("log events for %s", reason).hasSize(expected.get(reason));
        assertThat(forReason.get(0).getLevel()).as("first %s", reason).isEqualTo(Level.WARN);
        assertThat(forReason.subList(1, forReason.size())).as("repeats of %s", reason)
            .allMatch(e -> e.getLevel() == Level.DEBUG);
      }
      assertThat(ignored).noneMatch(e -> e.getFormattedMessage().length() > 1_000);
    } finally {
      bridge.stop();
      listenerLog.detachAppender(logs);
      listenerLog.setLevel(before);
    }
  }

  private static void notify(Connection c, String payload) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
      ps.setString(1, CHANNEL);
      ps.setString(2, payload);
      ps.execute();
    }
  }

  private static Map<String, Integer> awaitCounts(Bridge bridge, Map<String, Integer> expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    Map<String, Integer> counts = counts(bridge, expected.keySet());
    while (!counts.equals(expected) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      counts = counts(bridge, expected.keySet());
    }
    return counts;
  }

  private static Map<String, Integer> counts(Bridge bridge, Set<String> reasons) {
    Map<String, Integer> out = new TreeMap<>();
    for (String reason : reasons) {
      Counter counter = bridge.metrics().registry().find("pgbridge.notifications.malformed")
          .tag("reason", reason).counter();
      out.put(reason, counter == null ? 0 : (int) counter.count());
    }
    return out;
  }

  private static int sessionRows(Connection c) throws Exception {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT count(*) FROM generation_sessions WHERE to_regclass('generation_sessions')"
            + " IS NOT NULL");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getInt(1);
    }
  }

  static void awaitLeader(Bridge bridge) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!(bridge.state().role() == Role.LEADER && bridge.state().caughtUp())
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(bridge.state().role()).isEqualTo(Role.LEADER);
  }
}
