package io.pgbridge.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgbridge.Bridge;
import io.pgbridge.BridgeState.Role;
import io.pgbridge.config.ConfigLoader;
import io.pgbridge.time.ManualTicker;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code /status} in Kafka Connect's vocabulary, without connecting anything. */
@Timeout(30)
class StatusTest {

  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

  @Test
  void everyRoleHasAConnectState() {
    Map<Role, ConnectState> states = new EnumMap<>(Role.class);
    for (Role role : Role.values()) {
      states.put(role, ConnectState.of(role));
    }

    assertThat(states).containsEntry(Role.LEADER, ConnectState.RUNNING)
        .containsEntry(Role.STANDBY, ConnectState.UNASSIGNED)
        .containsEntry(Role.STARTING, ConnectState.UNASSIGNED)
        .containsEntry(Role.STOPPING, ConnectState.PAUSED)
        .containsEntry(Role.FAILED, ConnectState.FAILED)
        .containsEntry(Role.STOPPED, ConnectState.STOPPED);
  }

  @Test
  void aFailedBridgeReportsFailedWithTheTraceAndTimeOfItsError() throws Exception {
    Bridge bridge = bridge();
    Map<String, Object> before = bridge.status();
    assertThat(before).containsEntry("state", "UNASSIGNED").containsEntry("role", "starting")
        .containsEntry("name", "eu").containsEntry("type", "source")
        .containsEntry("worker_id", bridge.instanceId()).doesNotContainKey("trace")
        .containsEntry("lastError", null).containsEntry("lastErrorAt", null);

    bridge.fail(new IllegalStateException("the broker refused the topic"));
    assertThat(bridge.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

    Map<String, Object> after = bridge.status();
    assertThat(after).containsEntry("state", "FAILED").containsEntry("role", "failed")
        .containsEntry("lastErrorAt", NOW.toString());
    assertThat((String) after.get("lastError")).contains("the broker refused the topic");
    assertThat((String) after.get("trace"))
        .startsWith("java.lang.IllegalStateException: the broker refused the topic")
        .contains("\tat io.pgbridge.http.StatusTest");
    // the shape of Connect's GET /connectors/NAME/status, for tools that read it
    assertThat(after.get("connector")).isEqualTo(
        Map.of("state", "FAILED", "worker_id", bridge.instanceId()));
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> tasks = (List<Map<String, Object>>) after.get("tasks");
    assertThat(tasks).singleElement().satisfies(t -> assertThat(t)
        .containsEntry("id", 0).containsEntry("state", "FAILED")
        .containsEntry("trace", after.get("trace")));
    // pgbridge's own numbers stay
    assertThat(after).containsKeys("listener", "checkpoint", "dirtySessions",
        "inFlightSessions", "outstandingRecords");
  }

  private static Bridge bridge() {
    return new Bridge(ConfigLoader.fromMap(Map.of(
        "database.url", "jdbc:postgresql://127.0.0.1:1/app",
        "kafka.bootstrap.servers", "127.0.0.1:1",
        "bridge.id", "eu", "http.port", "-1")),
        new SimpleMeterRegistry(), new ManualTicker(), Clock.fixed(NOW, ZoneOffset.UTC));
  }
}
