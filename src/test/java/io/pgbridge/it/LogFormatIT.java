package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgbridge.cli.ExitCodes;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TopicReader;
import java.io.IOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar's logging as an operator sees it on stderr (its own logback.xml, not the
 * tests'): log.format=json gives one JSON object per line with the bridge id, instance and
 * role in the MDC from start to stop, the text format shows them in brackets, and the Kafka
 * client's warnings about unreachable brokers are not hidden.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class LogFormatIT {

  private static final Path JAR = Path.of("target", "pgbridge.jar").toAbsolutePath();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static BridgeHarness harness;

  @TempDir
  Path dir;

  @BeforeAll
  static void database() throws Exception {
    harness = BridgeHarness.create("log_format", 1);
  }

  @Test
  void jsonLinesCarryBridgeInstanceAndRoleFromStartToStop() throws Exception {
    int port = freePort();
    Path config = config(Map.of("log.format", "json", "bridge.id", "log-json",
        "http.port", Integer.toString(port)));
    Path stderr = dir.resolve("run.err");
    Process bridge = start(stderr, "--config", config.toString(), "run");
    try {
      awaitLeader(port);
      UUID id = UUID.randomUUID();
      try (Connection c = harness.connect(); TopicReader reader = harness.reader()) {
        SessionWriter.insert(c, id, UUID.randomUUID(), "{\"logged\":true}");
        assertThat(reader.pollUntil(r -> r.last(id) != null, Duration.ofSeconds(30))).isTrue();
      }
    } finally {
      bridge.destroy(); // SIGTERM
      assertThat(bridge.waitFor(40, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(bridge.exitValue()).isEqualTo(ExitCodes.OK);

    List<JsonNode> events = jsonLines(stderr);
    assertThat(events).isNotEmpty().allSatisfy(e -> {
      assertThat(e.path("level").asText()).isNotEmpty();
      assertThat(e.path("loggerName").asText()).isNotEmpty();
      assertThat(e.path("timestamp").isNumber()).isTrue();
      assertThat(e.path("mdc").path("bridge").asText()).isEqualTo("log-json");
      assertThat(e.path("mdc").path("instance").asText()).startsWith("log-json-");
    });
    Set<String> roles = new TreeSet<>();
    events.forEach(e -> roles.add(e.path("mdc").path("role").asText()));
    assertThat(roles).contains("starting", "leader", "stopped");
    assertThat(events).anySatisfy(e -> assertThat(e.path("formattedMessage").asText())
        .startsWith("starting pgbridge instance log-json-"));
  }

  @Test
  void kafkaWarningsAboutUnreachableBrokersAreLogged() throws Exception {
    Path config = config(Map.of("log.format", "json",
        "kafka.bootstrap.servers", "127.0.0.1:" + freePort(),
        "kafka.default.api.timeout.ms", "3000", "kafka.request.timeout.ms", "2000"));
    Path stderr = dir.resolve("check.err");

    Process check = start(stderr, "--config", config.toString(), "check");
    assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(check.exitValue()).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(jsonLines(stderr)).anySatisfy(e -> {
      assertThat(e.path("loggerName").asText()).isEqualTo(
          "org.apache.kafka.clients.NetworkClient");
      assertThat(e.path("level").asText()).isEqualTo("WARN");
      assertThat(e.path("formattedMessage").asText()).contains("could not be established");
      assertThat(e.path("mdc").path("bridge").asText()).isEqualTo("pgbridge");
    });
  }

  @Test
  void textLinesShowTheBridgeInBrackets() throws Exception {
    Path config = config(Map.of("bridge.id", "log-text",
        "kafka.bootstrap.servers", "127.0.0.1:" + freePort(),
        "kafka.default.api.timeout.ms", "2000", "kafka.request.timeout.ms", "1000"));
    Path stderr = dir.resolve("text.err");

    Process check = start(stderr, "--config", config.toString(), "check");
    assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();

    List<String> logLines = Files.readAllLines(stderr).stream()
        .filter(l -> l.contains(" WARN ")).toList();
    assertThat(logLines).isNotEmpty()
        .allSatisfy(l -> assertThat(l).contains(" [bridge=log-text] - "));
  }

  // --- helpers -------------------------------------------------------------------------------

  private Path config(Map<String, String> overrides) throws IOException {
    Properties p = new Properties();
    p.putAll(harness.settings(overrides));
    Path file = dir.resolve("pgbridge-" + UUID.randomUUID() + ".properties");
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      p.store(w, null);
    }
    return file;
  }

  /** {@code java -jar target/pgbridge.jar ARGS}, as the image runs it. */
  private static Process start(Path stderr, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", JAR.toString()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectError(stderr.toFile())
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
  }

  private static List<JsonNode> jsonLines(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        JsonNode event = JSON.readTree(line);
        assertThat(event.isObject()).as("a JSON object per line: %s", line).isTrue();
        out.add(event);
      }
    }
    return out;
  }

  private static void awaitLeader(int port) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<String> status = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/status")).build(),
            HttpResponse.BodyHandlers.ofString());
        if (JSON.readTree(status.body()).path("state").asText().equals("RUNNING")) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the bridge did not lead within 60 s");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
