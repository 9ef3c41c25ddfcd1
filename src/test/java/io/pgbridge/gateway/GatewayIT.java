package io.pgbridge.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgbridge.gateway.auth.Authenticators;
import io.pgbridge.testing.TestInfra;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The gateway against a real Kafka broker: the protocol (subscribe, current states then newer
 * ones, resume with held versions and with an SSE Last-Event-ID), GET /sessions/{id}, liveness
 * from heartbeats, and every refusal (origin, credentials, project, subscription limit, message
 * size), each counted. Records are written as the bridge writes them (its RecordBuilder).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GatewayIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final UUID PROJECT = UUID.randomUUID();
  private static final UUID OTHER = UUID.randomUUID();

  private static String topic;
  private static String heartbeatTopic;
  private static TopicWriter writer;
  private static Gateway gateway;
  private static Tokens tokens;
  private static WebSocketClient ws;
  private static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    topic = TestInfra.newTopic("gateway-it", 3);
    heartbeatTopic = TestInfra.newTopic("gateway-it-hb", 1);
    writer = new TopicWriter(TestInfra.kafkaBootstrap(), topic);
    tokens = new Tokens();
    Path key = tokens.writePem(Files.createTempFile("gateway-key", ".pem"));
    Map<String, String> settings = new HashMap<>();
    settings.put("kafka.bootstrap.servers", TestInfra.kafkaBootstrap());
    settings.put("topic", topic);
    settings.put("heartbeat.topic", heartbeatTopic);
    settings.put("http.port", "0");
    settings.put("auth.mode", "jwt");
    settings.put("auth.jwt.key.file", key.toString());
    settings.put("auth.jwt.issuer", "pgbridge-test");
    settings.put("allowed.origins", "https://app.example.com");
    settings.put("max.subscriptions.per.connection", "3");
    settings.put("max.message.bytes", "1024");
    settings.put("client.heartbeat.interval.ms", "300");
    GatewayConfig config = GatewayConfigLoader.fromMap(settings);
    gateway = new Gateway(config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
        Authenticators.create(config, Clock.systemUTC()), Clock.systemUTC());
    gateway.start();
    ws = new WebSocketClient();
    ws.start();
    await().atMost(WAIT).until(gateway::ready);
  }

  @AfterAll
  static void stop() throws Exception {
    if (ws != null) {
      ws.stop();
    }
    if (gateway != null) {
      gateway.close();
    }
    if (writer != null) {
      writer.close();
    }
  }

  private static String token() {
    return tokens.token(List.of(PROJECT.toString()), Instant.now().plusSeconds(600));
  }

  private static String state(String status, int n) {
    return "{\"status\":\"" + status + "\",\"progress\":" + n + ",\"todos\":{\"total\":3}}";
  }

  private static HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + gateway.port() + path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aSubscriberGetsTheCurrentStatesAtOnceThenEveryNewerVersion() throws Exception {
    UUID a = UUID.randomUUID();
    UUID b = UUID.randomUUID();
    writer.state(a, PROJECT, 1, state("running", 10));
    writer.state(a, PROJECT, 2, state("running", 20));
    writer.state(b, PROJECT, 5, state("running", 50));
    await().atMost(WAIT).until(() -> gateway.view().get(b.toString()).isPresent()
        && gateway.view().get(a.toString()).map(s -> s.version() == 2).orElse(false));

    try (WsProbe p = WsProbe.connect(ws, gateway.port(), token(), null)) {
      p.send("{\"type\":\"subscribe\",\"id\":\"r1\",\"projects\":[\"" + PROJECT + "\"]}");
      JsonNode synced = p.await(WsProbe.type("synced"), WAIT);
      assertThat(synced.path("id").asText()).isEqualTo("r1");
      List<JsonNode> states = p.all.stream().filter(WsProbe.type("state")).toList();
      assertThat(states).anySatisfy(n -> {
        assertThat(n.path("sessionId").asText()).isEqualTo(a.toString());
        assertThat(n.path("version").asLong()).isEqualTo(2);
        assertThat(n.path("state").path("progress").asInt()).isEqualTo(20);
        assertThat(n.path("projectId").asText()).isEqualTo(PROJECT.toString());
      });
      assertThat(states).anySatisfy(n -> assertThat(n.path("sessionId").asText())
          .isEqualTo(b.toString()));

      writer.state(a, PROJECT, 3, state("completed", 100));
      JsonNode live = p.await(n -> WsProbe.type("state").test(n)
          && n.path("sessionId").asText().equals(a.toString()), WAIT);
      assertThat(live.path("version").asLong()).isEqualTo(3);
      assertThat(live.path("state").path("status").asText()).isEqualTo("completed");

      writer.tombstone(b);
      JsonNode gone = p.await(WsProbe.type("deleted"), WAIT);
      assertThat(gone.path("sessionId").asText()).isEqualTo(b.toString());
      assertThat(gone.path("reason").asText()).isEqualTo("tombstone");
    }
  }

  @Test
  void aResumingSubscriberGetsOnlyWhatIsNewerThanTheVersionsItHolds() throws Exception {
    UUID same = UUID.randomUUID();
    UUID newer = UUID.randomUUID();
    UUID deleted = UUID.randomUUID();
    writer.state(same, PROJECT, 4, state("running", 40));
    writer.state(newer, PROJECT, 7, state("running", 70));
    writer.state(deleted, PROJECT, 2, state("running", 20));
    writer.tombstone(deleted);
    await().atMost(WAIT).until(() -> gateway.view().deletion(deleted.toString()).isPresent()
        && gateway.view().get(newer.toString()).isPresent()
        && gateway.view().get(same.toString()).isPresent());

    try (WsProbe p = WsProbe.connect(ws, gateway.port(), token(), null)) {
      p.send("{\"type\":\"subscribe\",\"sessions\":[\"" + same + "\",\"" + newer + "\",\""
          + deleted + "\"],\"have\":{\"" + same + "\":4,\"" + newer + "\":6,\"" + deleted
          + "\":2}}");
      p.await(WsProbe.type("synced"), WAIT);
      List<JsonNode> got = p.all;
      assertThat(got).filteredOn(WsProbe.type("state")).extracting(n -> n.path("sessionId")
          .asText()).containsExactly(newer.toString());
      assertThat(got).filteredOn(WsProbe.type("deleted")).extracting(n -> n.path("sessionId")
          .asText()).containsExactly(deleted.toString());
    }
  }

  @Test
  void sessionsAreServedAsJsonWith404ForUnknownAnd410ForDeleted() throws Exception {
    UUID id = UUID.randomUUID();
    UUID gone = UUID.randomUUID();
    writer.state(id, PROJECT, 3, state("running", 30));
    writer.state(gone, PROJECT, 1, state("running", 1));
    writer.tombstone(gone);
    await().atMost(WAIT).until(() -> gateway.view().deletion(gone.toString()).isPresent()
        && gateway.view().get(id.toString()).isPresent());

    HttpResponse<String> ok = get("/sessions/" + id, token());
    assertThat(ok.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(ok.body());
    assertThat(body.path("version").asLong()).isEqualTo(3);
    assertThat(body.path("state").path("progress").asInt()).isEqualTo(30);
    assertThat(get("/sessions/" + UUID.randomUUID(), token()).statusCode()).isEqualTo(404);
    HttpResponse<String> deleted = get("/sessions/" + gone, token());
    assertThat(deleted.statusCode()).isEqualTo(410);
    assertThat(JSON.readTree(deleted.body()).path("deleted").asBoolean()).isTrue();
  }

  @Test
  void aServerSentEventsStreamResumesFromItsLastEventId() throws Exception {
    UUID before = UUID.randomUUID();
    writer.state(before, PROJECT, 1, state("running", 1));
    await().atMost(WAIT).until(() -> gateway.view().get(before.toString()).isPresent());
    String url = "http://127.0.0.1:" + gateway.port() + "/stream?projects=" + PROJECT
        + "&access_token=" + token();

    Sse first = Sse.open(url, null);
    String lastId = first.awaitEventWithId(WAIT);
    assertThat(first.events()).anySatisfy(e -> assertThat(e).contains(before.toString()));
    first.close();

    UUID after = UUID.randomUUID();
    writer.state(after, PROJECT, 1, state("running", 5));
    writer.state(before, PROJECT, 2, state("running", 2));
    writer.tombstone(after);
    writer.state(after, PROJECT, 1, state("running", 6));
    await().atMost(WAIT).until(() -> gateway.view().get(after.toString())
        .map(s -> s.stateText().contains("6")).orElse(false));

    Sse second = Sse.open(url, lastId);
    second.awaitData(d -> d.contains("\"synced\""), WAIT);
    List<JsonNode> states = second.json().stream().filter(WsProbe.type("state")).toList();
    assertThat(states).extracting(n -> n.path("sessionId").asText() + "@" + n.path("version")
        .asLong()).containsExactlyInAnyOrder(before + "@2", after + "@1");
    assertThat(states).filteredOn(n -> n.path("sessionId").asText().equals(after.toString()))
        .allSatisfy(n -> assertThat(n.path("state").path("progress").asInt())
            .as("the re-created session's state, after its tombstone").isEqualTo(6));
    second.close();
  }

  @Test
  void heartbeatsTellWhetherTheBridgeIsLiveOrStale() throws Exception {
    try (WsProbe p = WsProbe.connect(ws, gateway.port(), token(), null)) {
      writer.heartbeat(heartbeatTopic, 200);
      JsonNode live = p.await(n -> WsProbe.type("heartbeat").test(n)
          && n.path("bridge").asText().equals("live"), WAIT);
      assertThat(live.path("caughtUp").asBoolean()).isTrue();
      assertThat(live.path("position").asText()).isNotEmpty();
      await().atMost(WAIT).until(() -> gateway.materializer().heartbeats().liveness()
          .currentAsOf() != null);
      // no heartbeat for more than 3 intervals (600 ms)
      p.await(n -> WsProbe.type("heartbeat").test(n)
          && n.path("bridge").asText().equals("stale"), WAIT);
    }
  }

  @Test
  void aForeignOriginIsRefusedAndCounted() throws Exception {
    double before = gateway.metrics().refusedCount("origin");
    assertThatUpgradeFails(() -> WsProbe.connect(ws, gateway.port(), token(),
        "https://evil.example.net"), 403);
    try (WsProbe ok = WsProbe.connect(ws, gateway.port(), token(), "https://app.example.com")) {
      ok.send("{\"type\":\"subscribe\",\"projects\":[\"" + PROJECT + "\"]}");
      ok.await(WsProbe.type("synced"), WAIT);
    }
    try (WsProbe same = WsProbe.connect(ws, gateway.port(), token(),
        "http://127.0.0.1:" + gateway.port())) {
      same.send("{\"type\":\"subscribe\",\"projects\":[\"" + PROJECT + "\"]}");
      same.await(WsProbe.type("synced"), WAIT);
    }
    assertThat(gateway.metrics().refusedCount("origin")).isEqualTo(before + 1);
  }

  @Test
  void missingExpiredForeignAndGarbageTokensAreRefusedAndCounted() throws Exception {
    double before = gateway.metrics().refusedCount("unauthorized");
    assertThatUpgradeFails(() -> WsProbe.connect(ws, gateway.port(), null, null), 401);
    assertThatUpgradeFails(() -> WsProbe.connect(ws, gateway.port(),
        tokens.token(List.of(PROJECT.toString()), Instant.now().minusSeconds(3600)), null), 401);
    assertThatUpgradeFails(() -> WsProbe.connect(ws, gateway.port(),
        new Tokens().token(List.of(PROJECT.toString()), Instant.now().plusSeconds(60)), null),
        401);
    assertThatUpgradeFails(() -> WsProbe.connect(ws, gateway.port(),
        tokens.token(List.of(PROJECT.toString()), Instant.now().plusSeconds(60), "other-issuer"),
        null), 401);
    HttpResponse<String> sse = get("/stream?projects=" + PROJECT + "&access_token=not.a.jwt",
        null);
    assertThat(sse.statusCode()).isEqualTo(401);
    assertThat(JSON.readTree(sse.body()).path("message").asText()).contains("not a JWT");
    assertThat(get("/sessions/" + UUID.randomUUID(), null).statusCode()).isEqualTo(401);
    assertThat(gateway.metrics().refusedCount("unauthorized")).isEqualTo(before + 6);
  }

  @Test
  void aProjectTheTokenDoesNotAllowIsRefusedAndCounted() throws Exception {
    UUID foreign = UUID.randomUUID();
    writer.state(foreign, OTHER, 1, state("running", 1));
    await().atMost(WAIT).until(() -> gateway.view().get(foreign.toString()).isPresent());
    double before = gateway.metrics().refusedCount("forbidden");

    try (WsProbe p = WsProbe.connect(ws, gateway.port(), token(), null)) {
      p.send("{\"type\":\"subscribe\",\"id\":\"x\",\"projects\":[\"" + OTHER + "\"]}");
      JsonNode error = p.await(WsProbe.type("error"), WAIT);
      assertThat(error.path("code").asText()).isEqualTo("forbidden");
      assertThat(error.path("id").asText()).isEqualTo("x");
      p.send("{\"type\":\"subscribe\",\"sessions\":[\"" + foreign + "\"]}");
      assertThat(p.await(WsProbe.type("error"), WAIT).path("code").asText())
          .isEqualTo("forbidden");
      // the connection stays usable for what the token allows
      p.send("{\"type\":\"subscribe\",\"projects\":[\"" + PROJECT + "\"]}");
      p.await(WsProbe.type("synced"), WAIT);
      assertThat(p.drain()).filteredOn(WsProbe.type("state"))
          .noneMatch(n -> n.path("projectId").asText().equals(OTHER.toString()));
    }
    assertThat(get("/sessions/" + foreign, token()).statusCode()).isEqualTo(403);
    assertThat(gateway.metrics().refusedCount("forbidden")).isEqualTo(before + 3);
  }

  @Test
  void moreSubscriptionsThanTheLimitAreRefusedAndCounted() throws Exception {
    double before = gateway.metrics().refusedCount("too_many_subscriptions");
    try (WsProbe p = WsProbe.connect(ws, gateway.port(), token(), null)) {
      p.send("{\"type\":\"subscribe\",\"sessions\":[\"a\",\"b\",\"c\",\"d\"]}");
      assertThat(p.await(WsProbe.type("error"), WAIT).path("code").asText())
          .isEqualTo("too_many_subscriptions");
      p.send("{\"type\":\"subscribe\",\"sessions\":[\"a\",\"b\",\"c\"]}");
      p.await(WsProbe.type("synced"), WAIT);
      p.send("{\"type\":\"subscribe\",\"sessions\":[\"e\"]}");
      assertThat(p.await(WsProbe.type("error"), WAIT).path("code").asText())
          .isEqualTo("too_many_subscriptions");
      p.send("{\"type\":\"nonsense\"}");
      assertThat(p.await(WsProbe.type("error"), WAIT).path("code").asText())
          .isEqualTo("bad_request");
    }
    assertThat(gateway.metrics().refusedCount("too_many_subscriptions")).isEqualTo(before + 2);
  }

  @Test
  void aMessageOverTheSizeLimitClosesTheConnectionAndIsCounted() throws Exception {
    double before = gateway.metrics().refusedCount("message_too_large");
    try (WsProbe p = WsProbe.connect(ws, gateway.port(), token(), null)) {
      p.send("{\"type\":\"subscribe\",\"sessions\":[\"" + "x".repeat(2000) + "\"]}");
      assertThat(p.closeCode.get(10, TimeUnit.SECONDS)).isEqualTo(1009);
    }
    await().atMost(WAIT).until(() -> gateway.metrics().refusedCount("message_too_large")
        == before + 1);
  }

  @Test
  void operationalEndpointsAnswer() throws Exception {
    assertThat(get("/healthz", null).statusCode()).isEqualTo(200);
    assertThat(get("/readyz", null).statusCode()).isEqualTo(200);
    String metrics = get("/metrics", null).body();
    assertThat(metrics).contains("pgbridge_gateway_clients{", "pgbridge_gateway_subscriptions",
        "pgbridge_gateway_messages_sent_total", "pgbridge_gateway_messages_skipped_total",
        "pgbridge_gateway_send_lag_seconds", "pgbridge_gateway_receive_lag_seconds",
        "pgbridge_gateway_fanout_lag_seconds", "pgbridge_gateway_consumer_lag_records",
        "pgbridge_gateway_refused_total", "pgbridge_gateway_caught_up 1.0");
    assertThat(get("/", null).body()).contains("<script src=\"app.js\">");
    assertThat(get("/app.js", null).statusCode()).isEqualTo(200);
  }

  @Test
  void aGatewayIsNotReadyUntilItHasReadTheTopic() throws Exception {
    String missing = "gateway-it-missing-" + UUID.randomUUID();
    GatewayConfig config = GatewayConfigLoader.fromMap(Map.of(
        "kafka.bootstrap.servers", TestInfra.kafkaBootstrap(), "topic", missing,
        "http.port", "0", "auth.mode", "none"));
    try (Gateway other = new Gateway(config, new PrometheusMeterRegistry(
        PrometheusConfig.DEFAULT), new io.pgbridge.gateway.auth.OpenAccess(),
        Clock.systemUTC())) {
      other.start();
      HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(
          "http://127.0.0.1:" + other.port() + "/readyz")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + other.port() + "/healthz")).build(), HttpResponse.BodyHandlers.ofString())
          .statusCode()).isEqualTo(200);
      assertThat(other.ready()).isFalse();
    }
  }

  interface Connect {
    WsProbe run() throws Exception;
  }

  private static void assertThatUpgradeFails(Connect connect, int status) {
    try (WsProbe p = connect.run()) {
      throw new AssertionError("the upgrade succeeded: " + p);
    } catch (AssertionError e) {
      throw e;
    } catch (Exception e) {
      assertThat(e).hasStackTraceContaining(String.valueOf(status));
    }
  }
}
