package io.pgbridge.testing;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgbridge.Bridge;
import io.pgbridge.config.BridgeConfig;
import io.pgbridge.config.ConfigLoader;
import io.pgbridge.migrate.Migrator;
import io.pgbridge.source.SourceMode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A fresh database (migrated) and a fresh compacted topic on the shared test infrastructure,
 * plus bridges configured against them. Each integration test class creates one. In
 * {@link SourceMode#WAL} the database is migrated for WAL (publication {@code pgbridge}) and
 * the bridges use a slot named after the database ({@link #slotName()}), since slots are
 * per server and the tests share one; WAL tests {@link #dropSlot()} at teardown.
 */
public final class BridgeHarness {

  private static final Map<String, String> HEARTBEAT_TOPIC =
      Map.of("cleanup.policy", "compact,delete", "retention.ms", "3600000");

  private final String jdbcUrl;
  private final String topic;
  private final TestInfra.Postgres server;
  private final String bootstrap;
  private final SourceMode mode;
  private final String slotName;

  private BridgeHarness(TestInfra.Postgres server, String jdbcUrl, String bootstrap,
      String topic, SourceMode mode, String slotName) {
    this.server = server;
    this.jdbcUrl = jdbcUrl;
    this.bootstrap = bootstrap;
    this.topic = topic;
    this.mode = mode;
    this.slotName = slotName;
  }

  /**
   * Creates database {@code name}, applies the migrations and creates a topic and its heartbeat
   * topic ({@code <topic>.heartbeat}, which heartbeats, on by default, need).
   */
  public static BridgeHarness create(String name, int partitions) throws SQLException {
    return create(name, partitions, SourceMode.NOTIFY);
  }

  /** {@link #create(String, int)} migrated for, and with bridges in, {@code mode}. */
  public static BridgeHarness create(String name, int partitions, SourceMode mode)
      throws SQLException {
    dropSlotsOf(TestInfra.postgres(), name);
    String url = TestInfra.createDatabase(name);
    String topic = TestInfra.newTopic(name.replace('_', '-'), partitions);
    TestInfra.createTopic(topic + ".heartbeat", 1, HEARTBEAT_TOPIC);
    BridgeHarness h = new BridgeHarness(TestInfra.postgres(), url, TestInfra.kafkaBootstrap(),
        topic, mode, slotFor(name));
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
    return create(server, name, bootstrap, topic, SourceMode.NOTIFY);
  }

  /** {@link #create(TestInfra.Postgres, String, String, String)} in {@code mode}. */
  public static BridgeHarness create(TestInfra.Postgres server, String name, String bootstrap,
      String topic, SourceMode mode) throws SQLException {
    dropSlotsOf(server, name);
    String url = TestInfra.createDatabase(server, name);
    TestInfra.createTopic(bootstrap, topic + ".heartbeat", 1, HEARTBEAT_TOPIC);
    BridgeHarness h = new BridgeHarness(server, url, bootstrap, topic, mode, slotFor(name));
    h.migrate();
    return h;
  }

  /**
   * A harness on database {@code jdbcUrl} of the shared server as it is (the caller installs
   * its schema and migrates), with a new topic named after {@code topicPrefix} and its
   * heartbeat topic.
   */
  public static BridgeHarness existing(String jdbcUrl, String topicPrefix) {
    return existing(jdbcUrl, topicPrefix, SourceMode.NOTIFY);
  }

  /**
   * {@link #existing(String, String)} with bridges in {@code mode} (the caller migrates the
   * database for it); the slot is named after the topic.
   */
  public static BridgeHarness existing(String jdbcUrl, String topicPrefix, SourceMode mode) {
    String topic = TestInfra.newTopic(topicPrefix, 1);
    createHeartbeatTopic(topic);
    return new BridgeHarness(TestInfra.postgres(), jdbcUrl, TestInfra.kafkaBootstrap(), topic,
        mode, slotFor(topic));
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
      new Migrator("public", "generation_sessions", "generation_updates", mode, "pgbridge")
          .migrate(c, false);
    }
  }

  /** A valid slot name ([a-z0-9_], at most 63) unique to {@code name} on the shared server. */
  private static String slotFor(String name) {
    String s = ("pgbridge_it_" + name.toLowerCase(Locale.ROOT))
        .replaceAll("[^a-z0-9_]", "_");
    return s.length() > 63 ? s.substring(0, 63) : s;
  }

  public SourceMode mode() {
    return mode;
  }

  /** The replication slot of this harness's WAL bridges ({@code wal.slot.name}). */
  public String slotName() {
    return slotName;
  }

  /** Ends the walsender of {@link #slotName()} if one is active, then drops the slot. */
  public void dropSlot() throws SQLException {
    try (Connection c = server.connect()) {
      dropSlots(c, "slot_name = ?", slotName);
    }
  }

  /**
   * Drops the slots left on database {@code database} by an earlier run (a logical slot keeps
   * its database from being dropped and created again).
   */
  private static void dropSlotsOf(TestInfra.Postgres server, String database)
      throws SQLException {
    try (Connection c = server.connect()) {
      dropSlots(c, "database = ?", database);
    }
  }

  private static void dropSlots(Connection c, String where, String value) throws SQLException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      List<String> inactive = new ArrayList<>();
      List<Integer> active = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT slot_name, active_pid"
          + " FROM pg_replication_slots WHERE " + where)) {
        ps.setString(1, value);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            int pid = rs.getInt(2);
            if (rs.wasNull()) {
              inactive.add(rs.getString(1));
            } else {
              active.add(pid);
            }
          }
        }
      }
      for (String slot : inactive) {
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                + " WHERE slot_name = ? AND active_pid IS NULL")) {
          ps.setString(1, slot);
          ps.execute();
        }
      }
      if (active.isEmpty()) {
        return;
      }
      for (int pid : active) {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
          ps.setInt(1, pid);
          ps.execute();
        }
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("replication slots where " + where + " '" + value
            + "' stay active");
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
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
    if (mode == SourceMode.WAL) {
      m.put(BridgeConfig.SOURCE_MODE_CONFIG, mode.value());
      m.put(BridgeConfig.WAL_SLOT_NAME_CONFIG, slotName);
    }
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
