package io.pgbridge.badinput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pgbridge.cli.ExitCodes;
import io.pgbridge.cli.Main;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.TestInfra;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * What an operator sees when the database or Kafka cannot be used: {@code pgbridge check},
 * {@code run} and {@code migrate} called in-process through {@link Main#run}, with the exit
 * code, a message naming the setting to fix, and no secret anywhere in the output or the log.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StartupErrorsIT {

  private static final String ROLE = "badinput_app";
  private static final String RIGHT_PASSWORD = "Right-Pa55-7c1e";
  private static final String WRONG_PASSWORD = "Wr0ng-Pa55-e93a";

  private static BridgeHarness harness;
  private static String originalHba;
  private static String hbaFile;

  @TempDir
  Path dir;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeAll
  static void database() throws Exception {
    harness = BridgeHarness.create("badinput_startup", 1);
    try (Connection c = harness.connect(); Statement st = c.createStatement()) {
      st.execute("DROP ROLE IF EXISTS " + ROLE);
      st.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD '" + RIGHT_PASSWORD + "'");
    }
  }

  @AfterAll
  static void restoreHba() throws Exception {
    if (originalHba != null) {
      try (Connection c = TestInfra.postgres().connect()) {
        writeHba(c, originalHba);
      }
    }
  }

  @BeforeEach
  void captureLogs() {
    logs.start();
    rootLogger().addAppender(logs);
  }

  @AfterEach
  void noSecretLogged() {
    rootLogger().detachAppender(logs);
    for (ILoggingEvent e : logs.list) {
      assertThat(e.getFormattedMessage()).doesNotContain(WRONG_PASSWORD)
          .doesNotContain(RIGHT_PASSWORD);
    }
  }

  @Test
  void wrongDatabasePasswordExitsUnavailableNamingTheCredentialsWithoutShowingThem()
      throws Exception {
    assumeTrue(passwordsAreChecked(), "the shared PostgreSQL accepts any password and its"
        + " pg_hba.conf could not be changed; see wrongDatabaseUser");
    Map<String, String> settings = harness.settings(Map.of("database.user", ROLE,
        "database.password", WRONG_PASSWORD));
    assertThat(cli(settings, "check")).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(stderr()).contains("database.user").contains("database.password")
        .contains("28P01");
    assertNoSecret();

    reset();
    assertThat(cli(settings, "run")).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(stderr()).contains("database.password");
    assertNoSecret();

    reset();
    assertThat(cli(settings, "migrate")).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(stderr()).contains("database.password");
    assertNoSecret();
  }

  @Test
  void wrongDatabaseUserExitsUnavailableNamingTheCredentials() throws Exception {
    Map<String, String> settings = harness.settings(Map.of("database.user", "nosuchuser",
        "database.password", WRONG_PASSWORD));
    assertThat(cli(settings, "check")).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(stderr()).contains("database.user").contains("database.password")
        .containsPattern("28000|28P01");
    assertNoSecret();
  }

  @Test
  void unreachableDatabaseExitsUnavailableNamingTheUrl() throws Exception {
    int port = closedPort();
    Map<String, String> settings = harness.settings(Map.of("database.url",
        "jdbc:postgresql://127.0.0.1:" + port + "/app?password=" + WRONG_PASSWORD,
        "database.password", WRONG_PASSWORD));
    assertThat(cli(settings, "check")).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(stderr()).contains("database.url").contains(Integer.toString(port));
    assertNoSecret();
  }

  @Test
  void missingDatabaseExitsUnavailableNamingTheUrl() throws Exception {
    Map<String, String> settings = harness.settings(Map.of("database.url",
        harness.jdbcUrl().replace("badinput_startup", "badinput_no_such_db")));
    assertThat(cli(settings, "check")).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(stderr()).contains("database.url").contains("3D000");
  }

  @Test
  void closedKafkaPortExitsUnavailableWithinFortySecondsNamingBootstrapServers()
      throws Exception {
    Map<String, String> settings = harness.settings(Map.of("kafka.bootstrap.servers",
        "127.0.0.1:" + closedPort(), "kafka.sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\""
            + " password=\"" + WRONG_PASSWORD + "\";"));
    long started = System.nanoTime();
    assertThat(cli(settings, "check")).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)).isLessThan(40);
    assertThat(stderr()).contains("kafka.bootstrap.servers");
    assertNoSecret();
  }

  @Test
  void missingTopicWithCreationDisabledExitsUnavailableNamingTheSetting() throws Exception {
    String topic = "badinput-missing-" + UUID.randomUUID();
    Map<String, String> settings = harness.settings(Map.of("topic", topic,
        "topic.creation.enable", "false"));
    assertThat(cli(settings, "check")).isEqualTo(ExitCodes.UNAVAILABLE);
    assertThat(stderr()).contains(topic).contains("topic.creation.enable");
    assertThat(topicPolicy(topic)).isEmpty();
  }

  @Test
  void missingTopicWithCreationEnabledIsCreatedCompacted() throws Exception {
    String topic = "badinput-created-" + UUID.randomUUID();
    Map<String, String> settings = harness.settings(Map.of("topic", topic,
        "topic.creation.enable", "true", "topic.partitions", "2"));
    assertThat(cli(settings, "check")).as(stderr()).isEqualTo(ExitCodes.OK);
    assertThat(topicPolicy(topic)).contains("compact");
    assertThat(stdout()).contains("topic " + topic + ": ok");
  }

  @Test
  void existingTopicThatIsNotCompactedGivesAWarningLine() throws Exception {
    String topic = "badinput-deleting-" + UUID.randomUUID();
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())
          .configs(Map.of("cleanup.policy", "delete")),
          // heartbeats are on by default: their topic must exist too
          new NewTopic(topic + ".heartbeat", Optional.of(1), Optional.empty())))
          .all().get(30, TimeUnit.SECONDS);
    }
    Map<String, String> settings = harness.settings(Map.of("topic", topic));
    assertThat(cli(settings, "check")).as(stderr()).isEqualTo(ExitCodes.OK);
    assertThat(stdout()).containsPattern("(?m)^warning: topic '" + topic
        + "' has cleanup.policy=delete, not compact");
  }

  @Test
  void invalidConfigurationExitsBadConfigListingEveryProblem() throws Exception {
    Map<String, String> settings = new HashMap<>(harness.settings(Map.of(
        "debounce.ms", "-5", "value.format", "xml", "topic", "no spaces allowed",
        "no.such.setting", "1", "database.password", WRONG_PASSWORD)));
    settings.remove("database.url");
    assertThat(cli(settings, "check")).isEqualTo(ExitCodes.BAD_CONFIG);
    assertThat(stderr()).contains("5 configuration problem(s)").contains("debounce.ms")
        .contains("value.format").contains("topic").contains("no.such.setting")
        .contains("database.url");
    assertThat(stdout()).isEmpty();
    assertNoSecret();
  }

  @Test
  void migrateAppliesEverythingToAnEmptyDatabaseAndNothingTheSecondTime() throws Exception {
    String url = TestInfra.createDatabase("badinput_migrate");
    Map<String, String> settings = harness.settings(Map.of("database.url", url));
    assertThat(cli(settings, "migrate")).as(stderr()).isEqualTo(ExitCodes.OK);
    assertThat(stdout()).contains("V001__reference_schema.sql")
        .contains("V002__bridge_objects.sql");
    reset();
    assertThat(cli(settings, "migrate")).as(stderr()).isEqualTo(ExitCodes.OK);
    assertThat(stdout()).contains("applied: nothing new");
    reset();
    assertThat(cli(settings, "check")).as(stderr()).isEqualTo(ExitCodes.OK);
  }

  // --- helpers -------------------------------------------------------------------------------

  private int cli(Map<String, String> settings, String command) throws IOException {
    Path file = dir.resolve("pgbridge-" + UUID.randomUUID() + ".properties");
    Properties p = new Properties();
    p.putAll(settings);
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      p.store(w, null);
    }
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      return Main.run(new String[] {"--config", file.toString(), command}, o, e, Map.of());
    }
  }

  private void reset() {
    out.reset();
    err.reset();
  }

  private String stdout() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private void assertNoSecret() {
    assertThat(stdout() + stderr()).doesNotContain(WRONG_PASSWORD)
        .doesNotContain(RIGHT_PASSWORD);
  }

  private static Logger rootLogger() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  private static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        TestInfra.kafkaBootstrap()));
  }

  /** The topic's cleanup.policy, empty when the topic does not exist. */
  private static Optional<String> topicPolicy(String topic) throws Exception {
    try (Admin admin = admin()) {
      if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic)) {
        return Optional.empty();
      }
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      return Optional.of(admin.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS)
          .get(r).get("cleanup.policy").value());
    }
  }

  /**
   * Whether the server rejects a wrong password for {@link #ROLE}. The embedded server trusts
   * every local connection, so its pg_hba.conf gets a first line demanding SCRAM for this role
   * on this test's database only (restored after the class); other tests are unaffected.
   */
  private static synchronized boolean passwordsAreChecked() throws SQLException {
    if (rejects(WRONG_PASSWORD)) {
      return true;
    }
    try (Connection c = TestInfra.postgres().connect()) {
      if (originalHba == null) {
        try (Statement st = c.createStatement();
            ResultSet rs = st.executeQuery("SELECT current_setting('hba_file'),"
                + " pg_read_file(current_setting('hba_file'))")) {
          rs.next();
          hbaFile = rs.getString(1);
          originalHba = rs.getString(2);
        }
      }
      writeHba(c, "host badinput_startup " + ROLE + " all scram-sha-256\n" + originalHba);
    } catch (SQLException e) {
      return false;
    }
    return rejects(WRONG_PASSWORD) && !rejects(RIGHT_PASSWORD);
  }

  private static void writeHba(Connection c, String content) throws SQLException {
    // COPY writes one line per row; tabs would come out escaped, and pg_hba.conf does not
    // care about spaces versus tabs. COPY takes no bind parameters: literals it is.
    try (Statement st = c.createStatement()) {
      st.execute("COPY (SELECT line FROM regexp_split_to_table("
          + literal(content.replace('\t', ' ')) + ", E'\\n') WITH ORDINALITY AS t(line, n)"
          + " ORDER BY n) TO " + literal(hbaFile));
      st.execute("SELECT pg_reload_conf()");
    }
    try {
      Thread.sleep(500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String literal(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  private static boolean rejects(String password) {
    try (Connection c = DriverManager.getConnection(harness.jdbcUrl(), ROLE, password)) {
      return false;
    } catch (SQLException e) {
      return e.getSQLState() != null && e.getSQLState().startsWith("28");
    }
  }
}
