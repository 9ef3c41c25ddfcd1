package io.pgbridge.cli;

import io.pgbridge.Bridge;
import io.pgbridge.config.BridgeConfig;
import io.pgbridge.config.Identifiers;
import io.pgbridge.migrate.Migrator;
import io.pgbridge.migrate.RecordedMode;
import io.pgbridge.source.SourceMode;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What {@code check} and {@code run} verify on a connected database before the bridge starts:
 * the server version, the sessions table and its columns, the applied migrations, and settings
 * that silently break the guarantee (reported as warnings); with {@code source.mode=notify}
 * that the database is in that mode and every pgbridge trigger (row and TRUNCATE, on every
 * partition) notifies {@code listen.channel} with the configured table name, with
 * {@code source.mode=wal} what {@link WalChecks} verifies. Every message names what to do.
 * Called on the CLI thread with one connection.
 */
final class DatabaseChecks {

  /** The oldest PostgreSQL major version pgbridge is tested on (server_version_num). */
  static final int MINIMUM_SERVER_VERSION = 140000;

  private static final Set<String> SESSION_COLUMNS =
      Set.of("id", "project_id", "raw_state", "state_version", "last_txid", "updated_at");

  private final BridgeConfig config;
  private final List<String> problems;
  private final List<String> warnings;
  private final List<String> notes;

  DatabaseChecks(BridgeConfig config, List<String> problems, List<String> warnings) {
    this(config, problems, warnings, new ArrayList<>());
  }

  /** {@code notes}: what was found that is worth saying although it is fine. */
  DatabaseChecks(BridgeConfig config, List<String> problems, List<String> warnings,
      List<String> notes) {
    this.config = config;
    this.problems = problems;
    this.warnings = warnings;
    this.notes = notes;
  }

  /** The problem with a server of version {@code versionNum}, or null when it is supported. */
  static String versionProblem(int versionNum) {
    if (versionNum >= MINIMUM_SERVER_VERSION) {
      return null;
    }
    return "PostgreSQL " + (versionNum / 10000) + " is not supported: pgbridge needs"
        + " PostgreSQL " + (MINIMUM_SERVER_VERSION / 10000) + " or later (tested on 14 to 18)";
  }

  void run(Connection c) throws SQLException {
    String version = versionProblem(intQuery(c, "SELECT current_setting('server_version_num')::int"));
    if (version != null) {
      problems.add(version);
      return;
    }
    if (!checkSessionsTable(c)) {
      return;
    }
    if (checkMigrations(c)) {
      if (config.sourceMode() == SourceMode.WAL) {
        new WalChecks(config, problems, warnings, notes).run(c);
      } else if (checkRecordedMode(c)) {
        checkTriggers(c);
      }
      checkOtherBridges(c);
    }
    checkSettings(c);
  }

  /**
   * A database that migrate put in WAL mode has no notify triggers for this bridge to hear.
   * False (and a problem) when it is in the other mode: its triggers are then not worth
   * inspecting.
   */
  private boolean checkRecordedMode(Connection c) throws SQLException {
    String mismatch = RecordedMode.read(c, config.schema()).mismatch(SourceMode.NOTIFY);
    if (mismatch != null) {
      problems.add(mismatch);
    }
    return mismatch == null;
  }

  /**
   * Every bridge.id's row holds back pruning of the deletion log (they may still owe the
   * tombstones): a deployment removed for good should have its row deleted.
   */
  private void checkOtherBridges(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT bridge_id,"
        + " extract(day FROM now() - stored_at)::int FROM "
        + Identifiers.qualified(config.schema(), "pgbridge_checkpoint")
        + " WHERE bridge_id <> ? AND stored_at < now() - interval '7 days' ORDER BY 1")) {
      ps.setString(1, config.bridgeId());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          warnings.add("bridge.id '" + rs.getString(1) + "' stored its last checkpoint "
              + rs.getInt(2) + " days ago; until its row is deleted (DELETE FROM "
              + Identifiers.qualified(config.schema(), "pgbridge_checkpoint")
              + " WHERE bridge_id = '" + rs.getString(1) + "') the deletion log keeps every"
              + " deletion since, for it");
        }
      }
    }
  }

  private boolean checkSessionsTable(Connection c) throws SQLException {
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
      problems.add("table " + sessions() + " does not exist: run `pgbridge migrate` (check"
          + " database.schema and sessions.table)");
      return false;
    }
    Set<String> missing = new TreeSet<>(SESSION_COLUMNS);
    missing.removeAll(columns);
    if (!missing.isEmpty()) {
      problems.add("table " + config.sessionsTable() + " lacks column(s) " + missing
          + ": run `pgbridge migrate --bridge-only`");
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_inherits i"
        + " JOIN pg_class p ON p.oid = i.inhparent"
        + " WHERE i.inhparent = ?::regclass AND p.relkind <> 'p'")) {
      ps.setString(1, sessions());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (rs.getLong(1) > 0) {
          problems.add("table " + sessions() + " has child tables by inheritance (INHERITS):"
              + " their rows fire no trigger of the parent; use declarative partitioning");
        }
      }
    }
    return true;
  }

  /** True when every migration of the bridge's own objects is applied. */
  private boolean checkMigrations(Connection c) throws SQLException {
    Migrator migrator = new Migrator(config.schema(), config.sessionsTable(), config.channel());
    Set<String> applied = migrator.appliedVersions(c).keySet();
    boolean all = true;
    for (Migrator.Migration m : Migrator.bundled()) {
      if (!m.isReferenceSchema() && !applied.contains(m.version())) {
        problems.add("migration " + m.file() + " is not applied: run `pgbridge migrate"
            + " --bridge-only`");
        all = false;
      }
    }
    return all;
  }

  /**
   * The triggers carry the channel and the table name as arguments fixed at migrate time: a
   * bridge listening on another channel would hear only its own barriers and store checkpoints
   * over changes it never saw. Every relation of each table's partition tree is inspected
   * (row triggers are cloned to partitions, the TRUNCATE trigger is installed on each), and a
   * relation of the sessions table without the TRUNCATE trigger (a partition attached since
   * migrate) is a problem too.
   */
  private void checkTriggers(Connection c) throws SQLException {
    List<String> tables = new ArrayList<>();
    tables.add(config.sessionsTable());
    tables.addAll(Bridge.CHILD_TABLES);
    try (PreparedStatement ps = c.prepareStatement("SELECT t.relid::regclass::text,"
        + " g.tgname, g.tgargs"
        + " FROM (SELECT ?::regclass AS relid UNION SELECT relid FROM pg_partition_tree(?::regclass))"
        + " t JOIN pg_class c ON c.oid = t.relid"
        + " LEFT JOIN pg_trigger g ON g.tgrelid = t.relid"
        + " AND g.tgname IN ('pgbridge_notify', 'pgbridge_truncate')"
        + " ORDER BY 1, 2")) {
      for (String table : tables) {
        boolean sessionsTree = table.equals(config.sessionsTable());
        ps.setString(1, Identifiers.qualified(config.schema(), table));
        ps.setString(2, Identifiers.qualified(config.schema(), table));
        Set<String> withTruncate = new TreeSet<>();
        Set<String> relations = new TreeSet<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String relation = rs.getString(1);
            relations.add(relation);
            String trigger = rs.getString(2);
            if (trigger == null) {
              continue;
            }
            if (trigger.equals("pgbridge_truncate")) {
              withTruncate.add(relation);
            }
            checkArguments(relation, trigger, rs.getBytes(3), table);
          }
        }
        if (sessionsTree) {
          relations.removeAll(withTruncate);
          for (String relation : relations) {
            problems.add(relation + " has no pgbridge_truncate trigger (a partition attached"
                + " after migrate?): a TRUNCATE of it would publish no tombstones; run"
                + " `pgbridge migrate --bridge-only` to install it");
          }
        }
      }
    }
  }

  private void checkArguments(String relation, String trigger, byte[] raw, String table) {
    String[] args = new String(raw, StandardCharsets.UTF_8).split("\0", -1);
    String channel = args[0];
    if (!channel.equals(config.channel())) {
      problems.add("the " + trigger + " trigger on " + relation + " notifies channel '"
          + channel + "' but listen.channel is '" + config.channel() + "': run `pgbridge"
          + " migrate` with this configuration to re-create the triggers");
    } else if (args.length < 3 || !args[1].equals(table)) {
      problems.add("the " + trigger + " trigger on " + relation + " does not name table '"
          + table + "' in its notifications: run `pgbridge migrate` with this configuration"
          + " to re-create the triggers");
    }
  }

  /**
   * Settings under which a notified commit can still be lost or refused. Writers that set
   * them per session or transaction cannot be seen from here: the README's Guarantees says so.
   */
  private void checkSettings(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT setting, source FROM pg_settings"
        + " WHERE name = 'synchronous_commit'"); ResultSet rs = ps.executeQuery()) {
      rs.next();
      if ("off".equals(rs.getString(1)) && !Set.of("database", "user", "database user",
          "session", "client").contains(rs.getString(2))) {
        warnings.add(asyncCommit("the server (" + rs.getString(2) + ")"));
      }
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(r.rolname, 'every role'),"
        + " coalesce(d.datname, 'every database') FROM pg_db_role_setting s"
        + " LEFT JOIN pg_roles r ON r.oid = s.setrole"
        + " LEFT JOIN pg_database d ON d.oid = s.setdatabase"
        + " WHERE s.setdatabase IN (0, (SELECT oid FROM pg_database"
        + " WHERE datname = current_database()))"
        + " AND 'synchronous_commit=off' = ANY (s.setconfig) ORDER BY 1, 2");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        warnings.add(asyncCommit("ALTER ROLE/DATABASE for role " + rs.getString(1) + " in "
            + rs.getString(2)));
      }
    }
    if (config.sourceMode() == SourceMode.NOTIFY
        && intQuery(c, "SELECT current_setting('max_prepared_transactions')::int") > 0) {
      warnings.add("max_prepared_transactions > 0: a writer that uses two-phase commit"
          + " (PREPARE TRANSACTION) on the published tables fails, because PostgreSQL cannot"
          + " prepare a transaction that ran NOTIFY (the triggers notify)");
    }
  }

  private static String asyncCommit(String where) {
    return "synchronous_commit=off is set by " + where + ": a commit the bridge has published"
        + " can vanish in a server crash and its version be used again by a different state,"
        + " which consumers that keep the highest version then ignore; keep it on for the"
        + " writers of the published tables";
  }

  private String sessions() {
    return Identifiers.qualified(config.schema(), config.sessionsTable());
  }

  private static int intQuery(Connection c, String sql) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
