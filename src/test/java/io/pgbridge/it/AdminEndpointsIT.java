package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgbridge.Bridge;
import io.pgbridge.cli.Main;
import io.pgbridge.config.ConfigLoader;
import io.pgbridge.http.AdminServer;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TopicReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** /metrics, /healthz, /readyz and /status of a running bridge. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AdminEndpointsIT {

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void servesPrometheusMetricsHealthReadinessAndStatus() throws Exception {
    BridgeHarness h = BridgeHarness.create("admin_http", 1);
    PrometheusMeterRegistry registry = Main.newRegistry();
    Bridge bridge = new Bridge(ConfigLoader.fromMap(h.settings(Map.of())), registry);
    try (AdminServer server = new AdminServer(0, registry, bridge)) {
      server.start();
      String base = "http://127.0.0.1:" + server.port();
      assertThat(get(base + AdminServer.READY_PATH).statusCode()).isEqualTo(503);
      bridge.start();
      // ready means listening: a row written before that is published by the catch-up, not
      // by a notification, and the notification count below would be 0
      long listening = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!bridge.state().caughtUp() && System.nanoTime() < listening) {
        Thread.sleep(20);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (get(base + AdminServer.READY_PATH).statusCode() != 200
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(get(base + AdminServer.READY_PATH).statusCode()).isEqualTo(200);
      UUID id = UUID.randomUUID();
      try (Connection c = h.connect(); TopicReader reader = h.reader()) {
        SessionWriter.insert(c, id, UUID.randomUUID(), "{\"x\":1}");
        assertThat(reader.pollUntil(r -> r.last(id) != null, Duration.ofSeconds(20))).isTrue();
      }
      assertThat(get(base + AdminServer.HEALTH_PATH).statusCode()).isEqualTo(200);

      String metrics = get(base + AdminServer.METRICS_PATH).body();
      assertThat(metrics)
          .contains("pgbridge_records_published_total{bridge=\"pgbridge\"} 1.0")
          .contains("pgbridge_notifications_received_total{bridge=\"pgbridge\",op=\"INSERT\","
              + "table=\"generation_sessions\"} 1.0")
          .contains("pgbridge_lag_notification_to_ack_seconds_bucket")
          .contains("pgbridge_lag_commit_to_ack_seconds_bucket")
          .contains("pgbridge_fetch_duration_seconds_bucket")
          .contains("pgbridge_produce_duration_seconds_bucket")
          .contains("pgbridge_dirty_sessions{")
          .contains("pgbridge_inflight_sessions{")
          .contains("pgbridge_listener_connected{bridge=\"pgbridge\"} 1.0")
          .contains("pgbridge_leader{bridge=\"pgbridge\"} 1.0")
          .contains("pgbridge_source_info{bridge=\"pgbridge\",mode=\"notify\"} 1\n")
          .contains("pgbridge_checkpoint_age_seconds{")
          .contains("pgbridge_notification_queue_usage_ratio{")
          .contains("pgbridge_records_skipped_total")
          .contains("pgbridge_lag_notification_to_fetch_seconds_bucket{bridge=\"pgbridge\",le=\"0.001\"}")
          .contains("pgbridge_last_notification_age_seconds{")
          .contains("pgbridge_last_ack_age_seconds{")
          .contains("pgbridge_heartbeats_total{")
          .contains("pgbridge_republish_sessions_total{")
          .contains("pgbridge_republish_requests_completed_total{")
          .doesNotContain("pgbridge_lag_notification_to_fetch_seconds{bridge=\"pgbridge\",quantile")
          .contains("kafka_producer_")
          .contains("jvm_memory_used_bytes")
          .contains("pgbridge_build_info{bridge=\"pgbridge\",kafka_clients=\"")
          // the fetch pool, through HikariCP's Micrometer tracker
          .contains("hikaricp_connections_active{pool=\"pgbridge-" + bridge.instanceId())
          .contains("hikaricp_connections_pending{")
          .contains("hikaricp_connections_acquire_seconds_count{")
          // present before the first error, so that rate() and alerts work from the start
          .contains("pgbridge_errors_total{bridge=\"pgbridge\",kind=\"fetch\"} 0.0")
          .contains("pgbridge_notifications_malformed_total{bridge=\"pgbridge\","
              + "reason=\"not_json\"} 0.0")
          .doesNotContain("quantile=");

      JsonNode status = SessionWriter.parse(get(base + AdminServer.STATUS_PATH).body());
      assertThat(status.get("role").asText()).isEqualTo("leader");
      assertThat(status.get("state").asText()).isEqualTo("RUNNING");
      assertThat(status.get("connector").get("state").asText()).isEqualTo("RUNNING");
      assertThat(status.get("tasks").get(0).get("state").asText()).isEqualTo("RUNNING");
      assertThat(status.get("worker_id").asText()).isEqualTo(bridge.instanceId());
      assertThat(status.has("trace")).isFalse();
      assertThat(status.get("listener").get("connected").asBoolean()).isTrue();
      assertThat(status.get("source").get("mode").asText()).isEqualTo("notify");
      assertThat(status.get("source").get("channel").asText())
          .isEqualTo(status.get("listener").get("channel").asText());
      assertThat(status.get("source").has("notificationQueueUsage")).isTrue();
      assertThat(status.has("checkpoint")).isTrue();
      assertThat(status.has("dirtySessions")).isTrue();
      assertThat(status.get("heartbeat").get("topic").asText()).isEqualTo(h.heartbeatTopic());
      assertThat(status.get("heartbeat").get("intervalMs").asLong()).isEqualTo(2000);
      assertThat(status.has("republish")).as("null while no request runs").isTrue();
      assertThat(status.toString()).doesNotContain(h.settings(Map.of())
          .get("database.password") + "\"");
    } finally {
      bridge.stop();
      registry.close();
    }
  }

  @Test
  void aStandbyIsUnassignedInConnectTermsAndStillReady() throws Exception {
    BridgeHarness h = BridgeHarness.create("admin_standby", 1);
    PrometheusMeterRegistry registry = Main.newRegistry();
    Bridge leader = h.startBridge(Map.of());
    Bridge standby = new Bridge(ConfigLoader.fromMap(h.settings(Map.of())), registry);
    try (AdminServer server = new AdminServer(0, registry, standby)) {
      server.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!"leader".equals(leader.status().get("role")) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(leader.status()).containsEntry("state", "RUNNING");
      standby.start();
      String base = "http://127.0.0.1:" + server.port();
      JsonNode status = SessionWriter.parse(get(base + AdminServer.STATUS_PATH).body());
      while (!"standby".equals(status.get("role").asText()) && System.nanoTime() < deadline) {
        Thread.sleep(20);
        status = SessionWriter.parse(get(base + AdminServer.STATUS_PATH).body());
      }
      assertThat(status.get("role").asText()).isEqualTo("standby");
      assertThat(status.get("state").asText()).isEqualTo("UNASSIGNED");
      assertThat(status.get("tasks").get(0).get("state").asText()).isEqualTo("UNASSIGNED");
      assertThat(get(base + AdminServer.READY_PATH).statusCode()).isEqualTo(200);
    } finally {
      standby.stop();
      leader.stop();
      registry.close();
    }
  }

  private HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
        .build(), HttpResponse.BodyHandlers.ofString());
  }
}
