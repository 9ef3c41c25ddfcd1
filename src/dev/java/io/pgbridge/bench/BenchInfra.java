package io.pgbridge.bench;

import io.pgbridge.embedded.EmbeddedKafkaCluster;
import io.pgbridge.embedded.EmbeddedPostgresServer;
import io.pgbridge.migrate.Migrator;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The PostgreSQL server and Kafka broker a benchmark runs against: the addresses given on the
 * command line, or an embedded PostgreSQL 17 and an in-process KRaft broker started here and
 * stopped by {@link #close()}. Creates one fresh database and topic per measured peer so that
 * peers never see each other's rows or records. Owned by the benchmark's main thread.
 */
final class BenchInfra implements AutoCloseable {

  static final String SCHEMA = "public";
  static final String SESSIONS = "generation_sessions";
  static final String CHANNEL = "generation_updates";

  private final EmbeddedPostgresServer embeddedPg;
  private final EmbeddedKafkaCluster embeddedKafka;
  private final String serverUrl;
  private final String user;
  private final String password;
  private final String bootstrap;
  private final Admin admin;

  private BenchInfra(EmbeddedPostgresServer pg, EmbeddedKafkaCluster kafka, String serverUrl,
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
    String kafka = a.get("kafka", null);
    EmbeddedPostgresServer pg = null;
    EmbeddedKafkaCluster k = null;
    String user = a.get("database-user", "postgres");
    String password = a.get("database-password", "postgres");
    if (url == null) {
      pg = EmbeddedPostgresServer.start();
      url = pg.jdbcUrl();
      user = pg.user();
      password = pg.password();
    }
    if (kafka == null) {
      k = EmbeddedKafkaCluster.start();
      kafka = k.bootstrapServers();
    }
    return new BenchInfra(pg, k, url, user, password, kafka);
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
    try (Connection c = DriverManager.getConnection(serverUrl, user, password);
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
      s.execute("CREATE DATABASE \"" + name + "\" TEMPLATE template0");
    }
    try (Connection c = connect(name)) {
      new Migrator(SCHEMA, SESSIONS, CHANNEL).migrate(c, false);
    }
    return url(name);
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
      embeddedPg.close();
    }
  }
}
