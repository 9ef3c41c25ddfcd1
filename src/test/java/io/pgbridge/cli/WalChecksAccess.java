package io.pgbridge.cli;

import io.pgbridge.config.BridgeConfig;
import io.pgbridge.config.ConfigLoader;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the database part of {@code pgbridge check} ({@link DatabaseChecks}, with
 * {@link WalChecks} for {@code source.mode=wal}) for tests in other packages, without Kafka.
 */
public final class WalChecksAccess {

  /** What the checks found. */
  public record Found(List<String> problems, List<String> warnings, List<String> notes) {}

  private WalChecksAccess() {}

  public static Found databaseChecks(Map<String, String> settings) throws SQLException {
    BridgeConfig config = ConfigLoader.fromMap(settings);
    Found found = new Found(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    try (Connection c = DriverManager.getConnection(config.databaseUrl(), config.databaseUser(),
        config.databasePassword().value())) {
      new DatabaseChecks(config, found.problems(), found.warnings(), found.notes()).run(c);
    }
    return found;
  }
}
