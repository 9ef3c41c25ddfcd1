package io.pgbridge.cli;

import io.pgbridge.config.BridgeConfig;
import io.pgbridge.source.notify.ListenerConnector;
import io.pgbridge.connection.SqlErrors;
import io.pgbridge.publish.TopicManager;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks, before the bridge starts, that the database and Kafka are reachable with the given
 * credentials, that the schema has what the bridge needs ({@link DatabaseChecks}), and that the
 * topic exists (creating it if allowed). Used by {@code run} and {@code check}. The report says
 * whether every problem is one that waiting can fix (a server that is down or starting, a name
 * that does not resolve yet): {@code run} then retries, {@code check} fails at once. Every
 * message names the setting to look at and holds no secret.
 */
final class Preflight {

  /**
   * What was found: {@code problems} (empty when all is well), and whether all of them are
   * transient, so that waiting and trying again may clear them.
   */
  record Report(List<String> problems, boolean transientOnly) {

    boolean ok() {
      return problems.isEmpty();
    }
  }

  private Preflight() {}

  /** Problems found; empty when all is well. Warnings go to {@code warnings}. */
  static List<String> run(BridgeConfig config, List<String> warnings)
      throws InterruptedException {
    return check(config, warnings, new ArrayList<>()).problems();
  }

  /**
   * Like {@link #run(BridgeConfig, List)}; what is worth saying although it is fine (which
   * replication privilege was found, say) goes to {@code notes}.
   */
  static List<String> run(BridgeConfig config, List<String> warnings, List<String> notes)
      throws InterruptedException {
    return check(config, warnings, notes).problems();
  }

  static Report check(BridgeConfig config, List<String> warnings) throws InterruptedException {
    return check(config, warnings, new ArrayList<>());
  }

  static Report check(BridgeConfig config, List<String> warnings, List<String> notes)
      throws InterruptedException {
    List<String> problems = new ArrayList<>();
    boolean transientOnly = true;
    ListenerConnector connector = new ListenerConnector(config.databaseUrl(),
        config.databaseUser(), config.databasePassword().value(), "pgbridge-check");
    try (Connection c = connector.open()) {
      new DatabaseChecks(config, problems, warnings, notes).run(c);
      transientOnly = problems.isEmpty();
    } catch (SQLException e) {
      boolean retry = SqlErrors.isTransient(e);
      problems.add((retry ? "PostgreSQL unavailable: " : "database: ") + SqlErrors.describe(e)
          + (retry && !SqlErrors.describe(e).contains("database.url")
              ? " (check the host and port in database.url)" : ""));
      transientOnly = retry;
    }
    Map<String, Object> admin = config.adminClientProperties();
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
        TopicManager.ensure(admin, TopicManager.TopicSpec.deadLetters(config.deadLetterTopic(),
            config.deadLetterTopicPartitions(), config.deadLetterTopicReplicationFactor(),
            config.deadLetterTopicRetentionMs()), config.topicCreationEnabled(), 30_000)
            .ifPresent(warnings::add);
      }
    } catch (TopicManager.TopicProblem e) {
      problems.add(e.getMessage());
      transientOnly &= e.isTransient();
    }
    return new Report(problems, transientOnly && !problems.isEmpty());
  }
}
