package io.pgbridge.cli;

import io.pgbridge.config.BridgeConfig;
import io.pgbridge.config.Identifiers;
import io.pgbridge.listen.ListenerConnector;
import io.pgbridge.listen.SqlErrors;
import io.pgbridge.migrate.Migrator;
import io.pgbridge.publish.TopicManager;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks, before the bridge starts, that the database and Kafka are reachable with the given
 * credentials, that the schema has what the bridge needs, and that the topic exists (creating
 * it if allowed). Used by {@code run} and {@code check}. Every message names the setting to
 * look at and holds no secret.
 */
final class Preflight {

  private static final Set<String> SESSION_COLUMNS =
      Set.of("id", "project_id", "raw_state", "state_version", "last_txid", "updated_at");

  private Preflight() {}

  /** Problems found; empty when all is well. Warnings go to {@code warnings}. */
  static List<String> run(BridgeConfig config, List<String> warnings)
      throws InterruptedException {
    List<String> problems = new ArrayList<>();
    checkDatabase(config, problems);
    Map<String, Object> admin = TopicManager.adminSettings(config.kafkaClientProperties());
    try {
      Optional<String> warning = TopicManager.ensure(admin, config.topic(),
          config.topicCreationEnabled(), config.topicPartitions(),
          config.topicReplicationFactor(), 30_000);
      warning.ifPresent(warnings::add);
      if (config.heartbeatIntervalMs() > 0) {
        TopicManager.ensureHeartbeatTopic(admin, config.heartbeatTopic(),
            config.topicCreationEnabled(), config.topicReplicationFactor(), 3_600_000L, 30_000);
      }
      if (config.toleratesAllErrors() && !config.deadLetterTopic().isEmpty()) {
        TopicManager.ensure(admin, config.deadLetterTopic(), config.topicCreationEnabled(), 1,
            config.topicReplicationFactor(), 30_000);
      }
    } catch (TopicManager.TopicProblem e) {
      problems.add(e.getMessage());
    }
    return problems;
  }

  private static void checkDatabase(BridgeConfig config, List<String> problems) {
    ListenerConnector connector = new ListenerConnector(config.databaseUrl(),
        config.databaseUser(), config.databasePassword().value(), "pgbridge-check");
    try (Connection c = connector.open()) {
      Set<String> columns = new TreeSet<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT column_name FROM"
          + " information_schema.columns WHERE table_schema = ? AND table_name = ?")) {
        ps.setString(1, config.schema());
        ps.setString(2, config.sessionsTable());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            columns.add(rs.getString(1));
          }
        }
      }
      if (columns.isEmpty()) {
        problems.add("table " + Identifiers.qualified(config.schema(), config.sessionsTable())
            + " does not exist: run `pgbridge migrate` (check database.schema and"
            + " sessions.table)");
        return;
      }
      Set<String> missing = new TreeSet<>(SESSION_COLUMNS);
      missing.removeAll(columns);
      if (!missing.isEmpty()) {
        problems.add("table " + config.sessionsTable() + " lacks column(s) " + missing
            + ": run `pgbridge migrate --bridge-only`");
      }
      checkTriggerChannel(c, config, problems);
      Migrator migrator = new Migrator(config.schema(), config.sessionsTable(), config.channel());
      Set<String> applied = migrator.appliedVersions(c).keySet();
      for (Migrator.Migration m : Migrator.bundled()) {
        if (!m.isReferenceSchema() && !applied.contains(m.version())) {
          problems.add("migration " + m.file() + " is not applied: run `pgbridge migrate"
              + " --bridge-only`");
        }
      }
    } catch (SQLException e) {
      problems.add("database: " + SqlErrors.describe(e));
    }
  }

  /**
   * The triggers carry the channel as an argument fixed at migrate time: a bridge listening on
   * another channel would hear only its own barriers and store checkpoints over changes it never
   * saw. Refuse to start instead.
   */
  private static void checkTriggerChannel(Connection c, BridgeConfig config,
      List<String> problems) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT cl.relname,"
        + " encode(t.tgargs, 'escape') FROM pg_trigger t"
        + " JOIN pg_class cl ON cl.oid = t.tgrelid"
        + " JOIN pg_namespace n ON n.oid = cl.relnamespace"
        + " WHERE t.tgname = 'pgbridge_notify' AND n.nspname = ?")) {
      ps.setString(1, config.schema());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String args = rs.getString(2);
          String channel = args.contains("\\000") ? args.substring(0, args.indexOf("\\000"))
              : args;
          if (!channel.equals(config.channel())) {
            problems.add("the trigger on " + rs.getString(1) + " notifies channel '" + channel
                + "' but listen.channel is '" + config.channel() + "': run `pgbridge migrate`"
                + " with this configuration to re-create the triggers");
          }
        }
      }
    }
  }
}
