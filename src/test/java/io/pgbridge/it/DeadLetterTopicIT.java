package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.cli.ExitCodes;
import io.pgbridge.cli.Main;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.TestInfra;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dead letter topic as {@code check} (and start-up) sets it up: created by retention with
 * its own partitions and retention when {@code topic.creation.enable} is on, never compacted,
 * and a compacted one that exists is reported.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DeadLetterTopicIT {

  private static BridgeHarness harness;

  @TempDir
  Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeAll
  static void database() throws Exception {
    harness = BridgeHarness.create("dlq_topic", 1);
  }

  @Test
  void checkCreatesAMissingDeadLetterTopicWithDeletePolicyPartitionsAndRetention()
      throws Exception {
    String dlq = "dlq-created-" + UUID.randomUUID().toString().substring(0, 8);

    assertThat(check(Map.of("topic.creation.enable", "true", "errors.tolerance", "all",
        "errors.deadletterqueue.topic.name", dlq,
        "errors.deadletterqueue.topic.partitions", "3",
        "errors.deadletterqueue.topic.retention.ms", "3600000"))).as(err()).isEqualTo(
            ExitCodes.OK);

    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        harness.bootstrap()))) {
      TopicDescription topic = admin.describeTopics(List.of(dlq)).allTopicNames()
          .get(30, TimeUnit.SECONDS).get(dlq);
      assertThat(topic.partitions()).hasSize(3);
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, dlq);
      Config config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS)
          .get(resource);
      assertThat(config.get("cleanup.policy").value()).isEqualTo("delete");
      assertThat(config.get("retention.ms").value()).isEqualTo("3600000");
    }
    assertThat(out()).doesNotContain("warning");
  }

  @Test
  void checkWarnsWhenTheDeadLetterTopicIsCompacted() throws Exception {
    String compacted = TestInfra.newTopic("dlq-compacted", 1);

    assertThat(check(Map.of("errors.tolerance", "all",
        "errors.deadletterqueue.topic.name", compacted))).as(err()).isEqualTo(ExitCodes.OK);

    assertThat(out()).contains("warning: dead letter topic '" + compacted + "'")
        .contains("only the last dead letter of each session");
  }

  private int check(Map<String, String> overrides) throws IOException {
    Path file = dir.resolve("pgbridge-" + UUID.randomUUID() + ".properties");
    Properties p = new Properties();
    p.putAll(harness.settings(overrides));
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      p.store(w, null);
    }
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      return Main.run(new String[] {"--config", file.toString(), "check"}, o, e, Map.of());
    }
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }
}
