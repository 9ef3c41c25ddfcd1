package io.pgbridge.bench;

import io.pgbridge.embedded.DurablePostgres;
import io.pgbridge.embedded.EmbeddedKafkaCluster;
import io.pgbridge.embedded.EmbeddedPostgresServer;
import io.pgbridge.migrate.Migrator;
import io.pgbridge.source.SourceMode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The PostgreSQL server and Kafka broker a benchmark runs against: the addresses given on the
 * command line, or an embedded PostgreSQL 17 (fsync off, see {@link #open}) or a durable
 * system PostgreSQL (see {@link #openDurable}) and an in-process KRaft broker started here and
 * stopped by {@link #close()}. Creates one fresh database and topic per measured peer so that
 * peers never see each other's rows or records. Owned by the benchmark's main thread.
 */
final class BenchInfra implements AutoCloseable {

  static final String SCHEMA = "public";
  static final String SESSIONS = "generation_sessions";
  static final String CHANNEL = "generation_updates";
  /** The publication of WAL-mode databases (the default of wal.publication.name). */
  static final String PUBLICATION = "pgbridge";
  static final List<String> TABLES = List.of(SESSIONS, "generation_todos",
      "generation_tool_calls", "generation_notes");

  private final AutoCloseable embeddedPg;
  private final EmbeddedKafkaCluster embeddedKafka;
  private final String serverUrl;
  private final String user;
  private final String password;
  private final String bootstrap;
  private final Admin admin;

  private BenchInfra(AutoCloseable pg, EmbeddedKafkaCluster kafka, String serverUrl,
      String user, String password, String bootstrap) {
    this.embeddedPg = pg;
    this.embeddedKafka = kafka;
    this.serverUrl = serverUrl;
    this.user = user;
    this.password = password;
    this.bootstrap = bootstrap;
    this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
  }

  /** Uses {@code --database-url}/{@code --kafka} when given, else starts embedded servers. */
  static BenchInfra open(BenchArgs a) throws Exception {
    String url = a.get("database-url", null);
    EmbeddedPostgresServer pg = null;
    String user = a.get("database-user", "postgres");
    String password = a.get("database-password", "postgres");
    if (url == null) {
      pg = EmbeddedPostgresServer.start();
      url = pg.jdbcUrl();
      user = pg.user();
      password = pg.password();
    }
    return withKafka(a, pg, url, user, password);
  }

  /**
   * Like {@link #open}, but without {@code --database-url} starts a {@link DurablePostgres}
   * (the system's PostgreSQL binaries, {@code --postgres-bin}, default Debian's 15) with
   * {@code fsync} as given: for measures of what writers pay, which a server with fsync off
   * understates.
   */
  static BenchInfra openDurable(BenchArgs a, boolean fsync) throws Exception {
    String url = a.get("database-url", null);
    if (url != null) {
      return withKafka(a, null, url, a.get("database-user", "postgres"),
          a.get("database-password", "postgres"));
    }
    DurablePostgres pg = DurablePostgres.start(Path.of(a.get("postgres-bin",
        DurablePostgres.DEFAULT_BINARIES.toString())), fsync);
    try {
      return withKafka(a, pg, pg.jdbcUrl(), pg.user(), pg.password());
    } catch (Exception | Error e) {
      pg.close();
      throw e;
    }
  }

  private static BenchInfra withKafka(BenchArgs a, AutoCloseable pg, String url, String user,
      String password) {
    String kafka = a.get("kafka", null);
    EmbeddedKafkaCluster k = null;
    if (kafka == null) {
      k = EmbeddedKafkaCluster.start();
      kafka = k.bootstrapServers();
    }
    return new BenchInfra(pg, k, url, user, password, kafka);
  }

  /** Server version and the settings that decide what a commit costs, for reports. */
  String describeServer() throws SQLException {
    try (Connection c = DriverManager.getConnection(serverUrl, user, password);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT version(), current_setting('fsync'),"
            + " current_setting('synchronous_commit'), current_setting('wal_level'),"
            + " current_setting('full_page_writes')")) {
      rs.next();
      String version = rs.getString(1);
      return version.substring(0, version.indexOf(" on ") < 0 ? version.length()
          : version.indexOf(" on ")) + ", fsync=" + rs.getString(2) + ", synchronous_commit="
          + rs.getString(3) + ", wal_level=" + rs.getString(4) + ", full_page_writes="
          + rs.getString(5);
    }
  }

  /** The postmaster's pid when a {@link DurablePostgres} runs here, else -1. */
  long serverPid() {
    return embeddedPg instanceof DurablePostgres d ? d.pid() : -1;
  }

  String bootstrap() {
    return bootstrap;
  }

  String user() {
    return user;
  }

  String password() {
    return password;
  }

  boolean embeddedKafka() {
    return embeddedKafka != null;
  }

  /** Host and port of the server, for clients that do not take a JDBC URL (Debezium). */
  String host() {
    String rest = serverUrl.substring(serverUrl.indexOf("//") + 2);
    String hostPort = rest.substring(0, rest.indexOf('/'));
    return hostPort.contains(":") ? hostPort.substring(0, hostPort.indexOf(':')) : hostPort;
  }

  int port() {
    String rest = serverUrl.substring(serverUrl.indexOf("//") + 2);
    String hostPort = rest.substring(0, rest.indexOf('/'));
    return hostPort.contains(":") ? Integer.parseInt(hostPort.substring(hostPort.indexOf(':') + 1))
        : 5432;
  }

  /** JDBC URL of database {@code name} on the same server. */
  String url(String name) {
    int q = serverUrl.indexOf('?');
    String base = q < 0 ? serverUrl : serverUrl.substring(0, q);
    String params = q < 0 ? "" : serverUrl.substring(q);
    return base.substring(0, base.lastIndexOf('/') + 1) + name + params;
  }

  Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(url(database), user, password);
  }

  /** Drops and creates database {@code name}, applies pgbridge's migrations; returns its URL. */
  String freshDatabase(String name) throws SQLException {
    return freshDatabase(name, SourceMode.NOTIFY);
  }

  /**
   * Drops and creates database {@code name} (and the replication slots of the old one), applies
   * pgbridge's migrations for {@code mode} (WAL: no NOTIFY anywhere, the publication
   * {@link #PUBLICATION}); returns its URL.
   */
  String freshDatabase(String name, SourceMode mode) throws SQLException {
    try (Connection c = DriverManager.getConnection(serverUrl, user, password);
        Statement s = c.createStatement()) {
      dropSlots(c, name);
      s.execute("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
      s.execute("CREATE DATABASE \"" + name + "\" TEMPLATE template0");
    }
    migrate(name, mode);
    return url(name);
  }

  /** Applies pgbridge's migrations for {@code mode}; switching drops the other mode's objects. */
  void migrate(String database, SourceMode mode) throws SQLException {
    try (Connection c = connect(database)) {
      new Migrator(SCHEMA, SESSIONS, CHANNEL, mode, PUBLICATION).migrate(c, false);
    }
  }

  /** Removes every trigger on the four tables and the last_txid index: the application alone. */
  void dropAllBridgeTriggers(String database) throws SQLException {
    try (Connection c = connect(database); Statement s = c.createStatement()) {
      List<String> drops = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT t.tgname, t.tgrelid::regclass::text"
          + " FROM pg_trigger t WHERE NOT t.tgisinternal AND t.tgrelid = ANY(?::regclass[])")) {
        ps.setArray(1, c.createArrayOf("text", TABLES.toArray()));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            drops.add("DROP TRIGGER \"" + rs.getString(1) + "\" ON " + rs.getString(2));
          }
        }
      }
      for (String drop : drops) {
        s.execute(drop);
      }
      s.execute("DROP INDEX IF EXISTS " + SESSIONS + "_last_txid_idx");
    }
  }

  /** Non-internal triggers left on the four tables (a check that a variant is what it says). */
  List<String> triggers(String database) throws SQLException {
    try (Connection c = connect(database); PreparedStatement ps = c.prepareStatement(
        "SELECT t.tgrelid::regclass::text || '.' || t.tgname FROM pg_trigger t"
            + " WHERE NOT t.tgisinternal AND t.tgrelid = ANY(?::regclass[]) ORDER BY 1")) {
      ps.setArray(1, c.createArrayOf("text", TABLES.toArray()));
      List<String> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    }
  }

  /**
   * Triggers on the four tables whose function calls pg_notify: none for a WAL-mode database,
   * some for a NOTIFY one (a check that a benchmark database is what it is called).
   */
  int notifyingTriggers(String database) throws SQLException {
    try (Connection c = connect(database); PreparedStatement ps = c.prepareStatement(
        "SELECT count(*) FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
            + " WHERE NOT t.tgisinternal AND t.tgrelid = ANY(?::regclass[])"
            + " AND p.prosrc LIKE '%pg_notify%'")) {
      ps.setArray(1, c.createArrayOf("text", TABLES.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /** Drops slot {@code slot}, ending the walsender that holds it; nothing if it is absent. */
  void dropSlot(String slot) throws SQLException {
    try (Connection c = DriverManager.getConnection(serverUrl, user, password)) {
      terminateAndDrop(c, "slot_name = ?", slot);
    }
  }

  private static void dropSlots(Connection c, String database) throws SQLException {
    terminateAndDrop(c, "database = ?", database);
  }

  private static void terminateAndDrop(Connection c, String where, String value)
      throws SQLException {
    List<String> slots = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT slot_name, active_pid"
        + " FROM pg_replication_slots WHERE " + where)) {
      ps.setString(1, value);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          slots.add(rs.getString(1));
          if (rs.getObject(2) != null) {
            try (Statement s = c.createStatement()) {
              s.execute("SELECT pg_terminate_backend(" + rs.getInt(2) + ")");
            }
          }
        }
      }
    }
    for (String slot : slots) {
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (true) {
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                + " WHERE slot_name = ?")) {
          ps.setString(1, slot);
          ps.execute();
          break;
        } catch (SQLException e) {
          // 55006: the terminated walsender has not exited yet
          if (!"55006".equals(e.getSQLState()) || System.nanoTime() > deadline) {
            throw e;
          }
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SQLException("interrupted while dropping slot " + slot, e);
        }
      }
    }
  }

  /** Removes pgbridge's notify triggers (keeps state_version/last_txid and their trigger). */
  void dropNotifyTriggers(String database) throws SQLException {
    try (Connection c = connect(database); Statement s = c.createStatement()) {
      for (String t : List.of(SESSIONS, "generation_todos", "generation_tool_calls",
          "generation_notes")) {
        s.execute("DROP TRIGGER IF EXISTS pgbridge_notify ON " + t);
      }
    }
  }

  /** A new topic {@code prefix-<random>}; not compacted, so every record stays countable. */
  String newTopic(String prefix, int partitions) throws Exception {
    String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1)))
        .all().get(60, TimeUnit.SECONDS);
    return name;
  }

  void deleteTopic(String name) {
    try {
      admin.deleteTopics(List.of(name)).all().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      // a leftover topic only costs disk in a throwaway broker
    }
  }

  @Override
  public void close() {
    admin.close();
    if (embeddedKafka != null) {
      embeddedKafka.close();
    }
    if (embeddedPg != null) {
      try {
        embeddedPg.close();
      } catch (Exception e) {
        throw new IllegalStateException("stopping PostgreSQL failed", e);
      }
    }
  }
}
