package io.pgbridge.republish;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgbridge.Bridge;
import io.pgbridge.cli.ExitCodes;
import io.pgbridge.cli.Main;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TopicReader.Received;
import io.pgbridge.testing.TopicReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code pgbridge republish} end to end: the command (in process, through {@link Main#run})
 * queues a request in the database, the running leader carries it out, and {@code --wait}
 * returns once every session it covers is acknowledged. The topic is deleted and created again
 * under a running bridge and {@code --all} restores every final state; {@code --project} and
 * {@code --session} republish exactly their sessions; a role without INSERT on the request
 * table is refused.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class RepublishIT {

  private static final String DENIED = "republish_denied";
  private static final String OPS = "republish_ops";
  private static final String PASSWORD = "Ops-Pa55-41f7";
  private static BridgeHarness harness;
  private static Bridge bridge;
  private static final UUID PROJECT_A = UUID.randomUUID();
  private static final UUID PROJECT_B = UUID.randomUUID();
  private static final List<UUID> IN_A = new ArrayList<>();
  private static final List<UUID> IN_B = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    harness = BridgeHarness.create("republish_it", 3);
    try (Connection c = harness.connect(); Statement st = c.createStatement()) {
      for (String role : List.of(DENIED, OPS)) {
        st.execute("DROP ROLE IF EXISTS " + role);
        st.execute("CREATE ROLE " + role + " LOGIN PASSWORD '" + PASSWORD + "'");
      }
      st.execute("GRANT INSERT, SELECT ON pgbridge_republish_requests TO " + OPS);
      for (int i = 0; i < 150; i++) {
        UUID id = UUID.randomUUID();
        SessionWriter.insert(c, id, i % 3 == 0 ? PROJECT_A : PROJECT_B, "{\"i\":" + i + "}");
        SessionWriter.updateState(c, id, "{\"i\":" + i + ",\"done\":true}");
        (i % 3 == 0 ? IN_A : IN_B).add(id);
      }
    }
    bridge = harness.startBridge(Map.of("catchup.page.size", "40", "debounce.ms", "20",
        "ha.takeover.settle.ms", "0"));
    try (Connection c = harness.connect(); TopicReader reader = harness.reader()) {
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(60))).isEmpty();
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (bridge != null) {
      bridge.stop();
    }
    try (Connection c = harness.connect(); Statement st = c.createStatement()) {
      st.execute("REVOKE ALL ON pgbridge_republish_requests FROM " + OPS);
      st.execute("DROP ROLE IF EXISTS " + DENIED);
      st.execute("DROP ROLE IF EXISTS " + OPS);
    }
  }

  /** Runs {@code pgbridge republish ARGS} with the harness settings; returns exit code, out. */
  private record Run(int code, String out, String err) {}

  private static Run republish(Map<String, String> overrides, String... args) {
    Map<String, String> env = new HashMap<>();
    harness.settings(overrides).forEach((k, v) ->
        env.put("PGBRIDGE_" + k.toUpperCase().replace('.', '_'), v));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] argv = new String[args.length + 1];
    argv[0] = "republish";
    System.arraycopy(args, 0, argv, 1, args.length);
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = Main.run(argv, o, e, env);
    }
    return new Run(code, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void afterTheTopicIsDeletedAndCreatedAgainRepublishAllRestoresEveryFinalState()
      throws Exception {
    recreateTopic(harness.topic(), 3);
    try (TopicReader reader = harness.reader()) {
      reader.drain(Duration.ofMillis(500));
      assertThat(reader.all()).as("the new topic starts empty").isEmpty();
    }
    Run run = republish(Map.of(), "--all", "--wait", "--timeout", "120");
    assertThat(run.code()).as(run.err()).isEqualTo(ExitCodes.OK);
    assertThat(run.out()).containsPattern("republish request \\d+ queued for bridge.id=pgbridge:"
        + " all sessions").containsPattern("request \\d+ done: 150 session\\(s\\) republished");
    try (Connection c = harness.connect(); TopicReader reader = harness.reader()) {
      // --wait returned once every record was acknowledged: nothing left to wait for
      reader.drain(Duration.ofMillis(500));
      assertThat(FinalStateCheck.mismatches(reader, SessionWriter.snapshot(c), Set.of()))
          .isEmpty();
      assertThat(reader.all()).allSatisfy(r -> assertThat(r.headers().get("pgbridge.sources"))
          .isEqualTo("republish,request"));
    }
    assertThat(counter("pgbridge.republish.sessions")).isGreaterThanOrEqualTo(150);
    assertThat(counter("pgbridge.republish.requests.completed")).isGreaterThanOrEqualTo(1);

    // heartbeats speak of the new topic again: offsets within it, covering all 150 records
    Map<Integer, Long> end;
    try (Admin admin = admin()) {
      end = new io.pgbridge.heartbeat.TopicEndOffsets(admin, harness.topic()).read();
    }
    JsonNode beat = heartbeatAfter(Instant.now(), Duration.ofSeconds(30));
    long covered = 0;
    for (Map.Entry<Integer, Long> e : end.entrySet()) {
      long offset = beat.get("offsets").get(Integer.toString(e.getKey())).asLong();
      assertThat(offset).as("partition %d of the new topic", e.getKey())
          .isLessThanOrEqualTo(e.getValue());
      covered += offset;
    }
    assertThat(covered).isGreaterThanOrEqualTo(150);
  }

  /** The first heartbeat produced after {@code after} that states a position. */
  private static JsonNode heartbeatAfter(Instant after, Duration timeout) throws Exception {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, harness.bootstrap());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      TopicPartition tp = new TopicPartition(harness.heartbeatTopic(), 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          JsonNode v = SessionWriter.parse(new String(r.value(), StandardCharsets.UTF_8));
          if (Instant.parse(v.get("time").asText()).isAfter(after)
              && !v.get("publishedUpTo").isNull()) {
            return v;
          }
        }
      }
    }
    throw new AssertionError("no heartbeat with a position after " + after);
  }

  private static Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, harness.bootstrap()));
  }

  @Test
  void republishProjectPublishesItsSessionsAgainAndNoOthers() throws Exception {
    try (TopicReader reader = harness.reader()) {
      reader.drain(Duration.ofMillis(300));
      int before = reader.all().size();
      Run run = republish(Map.of(), "--project", PROJECT_A.toString(), "--wait");
      assertThat(run.code()).as(run.err()).isEqualTo(ExitCodes.OK);
      assertThat(run.out()).contains("the sessions of project " + PROJECT_A)
          .contains("done: " + IN_A.size() + " session(s)");
      reader.drain(Duration.ofMillis(500));
      List<Received> fresh = reader.all().subList(before, reader.all().size());
      assertThat(fresh).extracting(Received::key)
          .containsExactlyInAnyOrderElementsOf(IN_A.stream().map(UUID::toString).toList());
      Map<String, Long> versions = databaseVersions(IN_A);
      assertThat(fresh).allSatisfy(r -> assertThat(r.version()).isEqualTo(versions.get(r.key())));

      // safe to repeat: the same request again publishes the same states once more
      int beforeRepeat = reader.all().size();
      Run again = republish(Map.of(), "--project", PROJECT_A.toString(), "--wait");
      assertThat(again.code()).as(again.err()).isEqualTo(ExitCodes.OK);
      reader.drain(Duration.ofMillis(500));
      List<Received> repeated = reader.all().subList(beforeRepeat, reader.all().size());
      assertThat(repeated).hasSize(IN_A.size())
          .allSatisfy(r -> assertThat(r.version()).isEqualTo(versions.get(r.key())));
      try (Connection c = harness.connect()) {
        assertThat(FinalStateCheck.mismatches(reader, SessionWriter.snapshot(c), Set.of()))
            .isEmpty();
      }
    }
  }

  @Test
  void republishSessionsPublishesThemAgainAndATombstoneForOneWithoutARow() throws Exception {
    UUID gone = UUID.randomUUID();
    try (TopicReader reader = harness.reader()) {
      reader.drain(Duration.ofMillis(300));
      int before = reader.all().size();
      Run run = republish(Map.of(), "--session", IN_B.get(0).toString(), IN_B.get(1).toString(),
          "--session", gone.toString(), "--wait");
      assertThat(run.code()).as(run.err()).isEqualTo(ExitCodes.OK);
      assertThat(run.out()).contains("3 session(s)");
      reader.drain(Duration.ofMillis(500));
      List<Received> fresh = reader.all().subList(before, reader.all().size());
      assertThat(fresh).extracting(Received::key).containsExactlyInAnyOrder(
          IN_B.get(0).toString(), IN_B.get(1).toString(), gone.toString());
      assertThat(reader.last(gone).tombstone()).isTrue();
      assertThat(reader.last(IN_B.get(0)).version())
          .isEqualTo(databaseVersions(IN_B.subList(0, 1)).get(IN_B.get(0).toString()));
    }
  }

  @Test
  void aRoleWithoutInsertOnTheRequestTableIsRefusedAndOneWithItMayRequest() throws Exception {
    long rowsBefore = requestRows();
    Run denied = republish(Map.of("database.user", DENIED, "database.password", PASSWORD),
        "--all");
    assertThat(denied.code()).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(denied.err()).contains("42501").contains("GRANT INSERT, SELECT ON")
        .contains(DENIED).doesNotContain(PASSWORD);
    assertThat(requestRows()).as("nothing queued").isEqualTo(rowsBefore);

    Run allowed = republish(Map.of("database.user", OPS, "database.password", PASSWORD),
        "--session", IN_A.get(0).toString(), "--wait");
    assertThat(allowed.code()).as(allowed.err()).isEqualTo(ExitCodes.OK);
    try (Connection c = harness.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT requested_by FROM pgbridge_republish_requests"
            + " ORDER BY id DESC LIMIT 1")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo(OPS);
    }
  }

  @Test
  void badArgumentsAreUsageErrorsBeforeAnythingConnects() {
    assertThat(republish(Map.of()).code()).isEqualTo(ExitCodes.BAD_CONFIG);
    assertThat(republish(Map.of(), "--all", "--project", PROJECT_A.toString()).code())
        .isEqualTo(ExitCodes.BAD_CONFIG);
    Run notUuid = republish(Map.of(), "--session", "42");
    assertThat(notUuid.code()).isEqualTo(ExitCodes.BAD_CONFIG);
    assertThat(notUuid.err()).contains("'42' is not a UUID");
  }

  @Test
  void waitGivesUpWithItsOwnExitCodeWhenNoLeaderOfTheBridgeIdRuns() {
    Run run = republish(Map.of("bridge.id", "nobody-runs-this"), "--all", "--wait",
        "--timeout", "2");
    assertThat(run.code()).isEqualTo(ExitCodes.NOT_FINISHED);
    assertThat(run.err()).contains("not done after 2 s (pending)");
  }

  /** The database's {@code state_version} of each of {@code ids}, keyed by id as text. */
  private static Map<String, Long> databaseVersions(List<UUID> ids) throws Exception {
    Map<String, Long> out = new HashMap<>();
    try (Connection c = harness.connect()) {
      for (UUID id : ids) {
        out.put(id.toString(), SessionWriter.version(c, id));
      }
    }
    return out;
  }

  private static long requestRows() throws Exception {
    try (Connection c = harness.connect(); PreparedStatement ps = c.prepareStatement(
        "SELECT count(*) FROM pgbridge_republish_requests"); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static double counter(String name) {
    return bridge.metrics().registry().find(name).counters().stream()
        .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
  }

  /** Deletes the topic and creates it again (deletion completes asynchronously). */
  private static void recreateTopic(String topic, int partitions) throws Exception {
    try (Admin admin = admin()) {
      admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (true) {
        try {
          admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1)
              .configs(Map.of("cleanup.policy", "compact")))).all().get(30, TimeUnit.SECONDS);
          break;
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException) || System.nanoTime() > deadline) {
            throw e;
          }
          Thread.sleep(100);
        }
      }
      // every partition led before anyone reads or writes it
      while (System.nanoTime() < deadline) {
        org.apache.kafka.clients.admin.TopicDescription d;
        try {
          d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
              .get(topic);
        } catch (ExecutionException e) {
          Thread.sleep(100); // not known everywhere yet
          continue;
        }
        if (d.partitions().size() == partitions
            && d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
          try (TopicReader probe = harness.reader()) {
            probe.poll(100);
            return;
          } catch (IllegalStateException e) {
            // the consumer's metadata is not there yet
          }
        }
        Thread.sleep(100);
      }
      throw new AssertionError("topic " + topic + " not ready after re-creation");
    }
  }
}
