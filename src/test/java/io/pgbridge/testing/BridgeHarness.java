package io.pgbridge.testing;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgbridge.Bridge;
import io.pgbridge.config.BridgeConfig;
import io.pgbridge.config.ConfigLoader;
import io.pgbridge.migrate.Migrator;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * A fresh database (migrated) and a fresh compacted topic on the shared test infrastructure,
 * plus bridges configured against them. Each integration test class creates one.
 */
public final class BridgeHarness {

  private static final Map<String, String> HEARTBEAT_TOPIC =
      Map.of("cleanup.policy", "compact,delete", "retention.ms", "3600000");

  private final String jdbcUrl;
  private final String topic;
  private final TestInfra.Postgres server;
  private final String bootstrap;

  private BridgeHarness(TestInfra.Postgres server, String jdbcUrl, String bootstrap,
      String topic) {
    this.server = server;
    this.jdbcUrl = jdbcUrl;
    this.bootstrap = bootstrap;
    this.topic = topic;
  }

  /**
   * Creates database {@code name}, applies the migrations and creates a topic and its heartbeat
   * topic ({@code <topic>.heartbeat}, which heartbeats, on by default, need).
   */
  public static BridgeHarness create(String name, int partitions) throws SQLException {
    String url = TestInfra.createDatabase(name);
    String topic = TestInfra.newTopic(name.replace('_', '-'), partitions);
    TestInfra.createTopic(topic + ".heartbeat", 1, HEARTBEAT_TOPIC);
    BridgeHarness h = new BridgeHarness(TestInfra.postgres(), url, TestInfra.kafkaBootstrap(),
        topic);
    h.migrate();
    return h;
  }

  /**
   * Like {@link #create(String, int)} but on a server and broker of the caller's (fault tests
   * restart or kill them): creates database {@code name} on {@code server} and uses
   * {@code topic}, which must exist on {@code bootstrap}; creates its heartbeat topic there.
   */
  public static BridgeHarness create(TestInfra.Postgres server, String name, String bootstrap,
      String topic) throws SQLException {
    String url = TestInfra.createDatabase(server, name);
    TestInfra.createTopic(bootstrap, topic + ".heartbeat", 1, HEARTBEAT_TOPIC);
    BridgeHarness h = new BridgeHarness(server, url, bootstrap, topic);
    h.migrate();
    return h;
  }

  /**
   * A harness on database {@code jdbcUrl} of the shared server as it is (the caller installs
   * its schema and migrates), with a new topic named after {@code topicPrefix} and its
   * heartbeat topic.
   */
  public static BridgeHarness existing(String jdbcUrl, String topicPrefix) {
    String topic = TestInfra.newTopic(topicPrefix, 1);
    createHeartbeatTopic(topic);
    return new BridgeHarness(TestInfra.postgres(), jdbcUrl, TestInfra.kafkaBootstrap(), topic);
  }

  /**
   * Creates the heartbeat topic of state topic {@code topic} ({@code <topic>.heartbeat}) on the
   * shared broker, as an operator would for a bridge with the default {@code heartbeat.topic}.
   */
  public static void createHeartbeatTopic(String topic) {
    TestInfra.createTopic(topic + ".heartbeat", 1, HEARTBEAT_TOPIC);
  }

  private void migrate() throws SQLException {
    try (Connection c = connect()) {
      new Migrator("public", "generation_sessions", "generation_updates").migrate(c, false);
    }
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl, server.user(), server.password());
  }

  public String jdbcUrl() {
    return jdbcUrl;
  }

  public String topic() {
    return topic;
  }

  public String bootstrap() {
    return bootstrap;
  }

  public TestInfra.Postgres server() {
    return server;
  }

  /** Settings for a bridge on this database and topic; {@code overrides} win. */
  public Map<String, String> settings(Map<String, String> overrides) {
    Map<String, String> m = new HashMap<>();
    m.put(BridgeConfig.DATABASE_URL_CONFIG, jdbcUrl);
    m.put(BridgeConfig.DATABASE_USER_CONFIG, server.user());
    m.put(BridgeConfig.DATABASE_PASSWORD_CONFIG, server.password());
    m.put(BridgeConfig.KAFKA_BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    m.put(BridgeConfig.TOPIC_CONFIG, topic);
    m.put(BridgeConfig.HTTP_PORT_CONFIG, "-1");
    m.put(BridgeConfig.CHECKPOINT_INTERVAL_MS_CONFIG, "200");
    m.put(BridgeConfig.RECONNECT_BACKOFF_MS_CONFIG, "50");
    m.put(BridgeConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "1000");
    m.put(BridgeConfig.HA_RETRY_MS_CONFIG, "100");
    m.put("kafka.linger.ms", "1");
    m.putAll(overrides);
    return m;
  }

  /** Starts a bridge with {@link #settings}; the caller stops it. */
  public Bridge startBridge(Map<String, String> overrides) {
    Bridge bridge = new Bridge(ConfigLoader.fromMap(settings(overrides)),
        new SimpleMeterRegistry());
    bridge.start();
    return bridge;
  }

  public TopicReader reader() {
    return new TopicReader(bootstrap, topic);
  }

  /** The heartbeat topic of {@link #topic()} with the default {@code heartbeat.topic}. */
  public String heartbeatTopic() {
    return topic + ".heartbeat";
  }
}
