package io.pgbridge.cli;

import io.pgbridge.Bridge;
import io.pgbridge.config.BridgeConfig;
import io.pgbridge.config.Identifiers;
import io.pgbridge.migrate.RecordedMode;
import io.pgbridge.source.SourceMode;
import io.pgbridge.source.wal.SyncStandby;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * What {@code check} and {@code run} verify on a connected database when
 * {@code source.mode=wal}, after {@link DatabaseChecks} found the migrations applied: the
 * server settings logical replication needs, the user's replication privilege, a free slot and
 * WAL sender (unless the bridge's slot exists), the publication with exactly the four tables
 * and column lists that carry what the bridge reads and every replica identity column, child
 * replica identities that carry session_id, no pg_notify trigger left in the schema, the mode
 * migrate recorded, a synchronous standby setting the bridge's connection would satisfy, and
 * failover slots only where the server has them. Every problem names the setting or command
 * that fixes it. Called on the CLI thread with one connection.
 */
final class WalChecks {

  /** Roles of managed services whose members may use logical replication. */
  static final List<String> REPLICATION_ROLES =
      List.of("rds_replication", "rds_superuser", "cloudsqlsuperuser", "alloydbsuperuser");

  private final BridgeConfig config;
  private final List<String> problems;
  private final List<String> warnings;
  private final List<String> notes;
  private int serverVersion;

  WalChecks(BridgeConfig config, List<String> problems, List<String> warnings,
      List<String> notes) {
    this.config = config;
    this.problems = problems;
    this.warnings = warnings;
    this.notes = notes;
  }

  void run(Connection c) throws SQLException {
    serverVersion = intQuery(c, "SELECT current_setting('server_version_num')::int");
    checkRecordedMode(c);
    checkWalLevel(c);
    checkPrivilege(c);
    checkSlot(c);
    checkPublication(c);
    checkReplicaIdentities(c);
    checkTriggers(c);
    checkSynchronousStandby(c);
    checkFailover(c);
  }

  private void checkRecordedMode(Connection c) throws SQLException {
    RecordedMode recorded = RecordedMode.read(c, config.schema());
    String mismatch = recorded.mismatch(SourceMode.WAL);
    if (mismatch != null) {
      problems.add(mismatch);
    } else if (!config.walPublicationName().equals(recorded.publication())) {
      problems.add("the database was migrated with publication '" + recorded.publication()
          + "' but wal.publication.name is '" + config.walPublicationName() + "': run `pgbridge"
          + " migrate --source-mode wal` with this configuration, or set wal.publication.name="
          + recorded.publication());
    }
  }

  private void checkWalLevel(Connection c) throws SQLException {
    String level = stringQuery(c, "SELECT current_setting('wal_level')");
    if (!"logical".equals(level)) {
      problems.add("wal_level is '" + level + "' but source.mode=wal needs 'logical': set"
          + " wal_level = logical in postgresql.conf (or ALTER SYSTEM SET wal_level = logical)"
          + " and restart PostgreSQL (Amazon RDS: rds.logical_replication = 1; Cloud SQL:"
          + " cloudsql.logical_decoding = on), or use source.mode=notify");
    }
  }

  private void checkPrivilege(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT r.rolname, r.rolsuper,"
        + " r.rolreplication, (SELECT string_agg(g.rolname, ', ' ORDER BY g.rolname)"
        + " FROM pg_roles g WHERE g.rolname = ANY (?) AND pg_has_role(r.oid, g.oid, 'MEMBER'))"
        + " FROM pg_roles r WHERE r.rolname = current_user")) {
      ps.setArray(1, c.createArrayOf("text", REPLICATION_ROLES.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        String user = rs.getString(1);
        if (rs.getBoolean(2)) {
          notes.add("replication privilege: " + user + " is a superuser");
        } else if (rs.getBoolean(3)) {
          notes.add("replication privilege: " + user + " has the REPLICATION attribute");
        } else if (rs.getString(4) != null) {
          notes.add("replication privilege: " + user + " is a member of " + rs.getString(4));
        } else {
          problems.add("database.user " + user + " may not use logical replication"
              + " (source.mode=wal): ALTER ROLE " + Identifiers.quote(user) + " WITH REPLICATION"
              + " as a superuser (Amazon RDS: GRANT rds_replication TO " + Identifiers.quote(user)
              + "), or use source.mode=notify");
        }
      }
    }
    // (boolean, text, text) before 17, with a fourth argument (flush) since
    if (!bool(c, "SELECT coalesce(bool_and(has_function_privilege(p.oid, 'EXECUTE')), false)"
        + " FROM pg_proc p WHERE p.pronamespace = 'pg_catalog'::regnamespace"
        + " AND p.proname = 'pg_logical_emit_message' AND p.proargtypes[2] = 'text'::regtype")) {
      problems.add("database.user may not execute pg_logical_emit_message, which writes the"
          + " checkpoint barriers of source.mode=wal: GRANT EXECUTE ON FUNCTION"
          + " pg_logical_emit_message(boolean, text, text) TO the bridge's role");
    }
  }

  private void checkSlot(Connection c) throws SQLException {
    String slot = config.walSlotName();
    boolean ours = false;
    boolean active = false;
    try (PreparedStatement ps = c.prepareStatement("SELECT slot_type, plugin, database,"
        + " active FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          ours = true;
          active = rs.getBoolean(4);
          String database = stringQuery(c, "SELECT current_database()");
          if (!"logical".equals(rs.getString(1)) || !"pgoutput".equals(rs.getString(2))
              || !database.equals(rs.getString(3))) {
            problems.add("replication slot " + slot + " exists but is not a pgoutput slot of"
                + " this database (" + rs.getString(1) + ", plugin " + rs.getString(2)
                + ", database " + rs.getString(3) + "): set wal.slot.name to a free name, or"
                + " drop it (SELECT pg_drop_replication_slot('" + slot + "')) if nothing uses it");
          }
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT bridge_id FROM "
        + Identifiers.qualified(config.schema(), "pgbridge_checkpoint")
        + " WHERE wal_slot = ? AND bridge_id <> ? ORDER BY 1")) {
      ps.setString(1, slot);
      ps.setString(2, config.bridgeId());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          problems.add("replication slot " + slot + " is recorded by bridge.id '"
              + rs.getString(1) + "': each bridge.id needs a slot of its own; set wal.slot.name"
              + " (or leave it empty for the name derived from bridge.id)");
        }
      }
    }
    if (ours) {
      notes.add("replication slot " + slot + ": exists" + (active ? ", active" : ""));
    } else {
      int max = intQuery(c, "SELECT current_setting('max_replication_slots')::int");
      int used = intQuery(c, "SELECT count(*)::int FROM pg_replication_slots");
      if (used >= max) {
        problems.add("no free replication slot for " + slot + ": max_replication_slots is "
            + max + " and " + used + " slot(s) exist (" + slotNames(c) + "): raise"
            + " max_replication_slots (restart PostgreSQL) or drop a slot nothing uses"
            + " (SELECT pg_drop_replication_slot('name'))");
      } else {
        notes.add("replication slot " + slot + ": created at first start (" + (max - used)
            + " of " + max + " free)");
      }
    }
    if (!active) {
      int senders = intQuery(c, "SELECT current_setting('max_wal_senders')::int");
      int busy = intQuery(c, "SELECT count(*)::int FROM pg_stat_replication");
      if (busy >= senders) {
        problems.add("no free WAL sender: max_wal_senders is " + senders + " and " + busy
            + " are in use (pg_stat_replication): raise max_wal_senders (restart PostgreSQL);"
            + " every bridge instance holds one, the standbys waiting for the lease too");
      } else {
        notes.add("WAL senders: " + (senders - busy) + " of " + senders + " free; every bridge"
            + " instance holds one (a standby waiting for the lease too), so this is enough"
            + " for " + (senders - busy) + " more instances");
      }
    }
  }

  private static String slotNames(Connection c) throws SQLException {
    return stringQuery(c, "SELECT coalesce(string_agg(slot_name, ', ' ORDER BY slot_name), '')"
        + " FROM (SELECT slot_name FROM pg_replication_slots ORDER BY slot_name LIMIT 5) s");
  }

  /** A published table's name as {@link Identifiers#qualified} writes it. */
  private static final String QUOTED_NAME = "'\"' || replace(n.nspname, '\"', '\"\"') || '\".\"'"
      + " || replace(t.relname, '\"', '\"\"') || '\"'";

  /** The four tables, their expected columns, and what the publication must hold. */
  private void checkPublication(Connection c) throws SQLException {
    String publication = config.walPublicationName();
    String fix = "run `pgbridge migrate --source-mode wal` (wal.publication.name=" + publication
        + ")";
    try (PreparedStatement ps = c.prepareStatement("SELECT puballtables, pubinsert"
        + " AND pubupdate AND pubdelete AND pubtruncate, pubviaroot FROM pg_publication"
        + " WHERE pubname = ?")) {
      ps.setString(1, publication);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          problems.add("publication " + publication + " does not exist: " + fix);
          return;
        }
        if (rs.getBoolean(1)) {
          problems.add("publication " + publication + " is FOR ALL TABLES: pgbridge needs a"
              + " publication of its four tables; set wal.publication.name to another name"
              + " and run `pgbridge migrate --source-mode wal`");
          return;
        }
        if (!rs.getBoolean(2) || !rs.getBoolean(3)) {
          problems.add("publication " + publication + " must publish insert, update, delete"
              + " and truncate via the partition root: " + fix);
        }
      }
    }
    if (serverVersion >= 150000 && bool(c, "SELECT EXISTS (SELECT 1 FROM"
        + " pg_publication_namespace n JOIN pg_publication p ON p.oid = n.pnpubid"
        + " WHERE p.pubname = " + literal(publication) + ")")) {
      problems.add("publication " + publication + " publishes whole schemas (TABLES IN SCHEMA):"
          + " it must hold exactly the four tables; " + fix);
    }
    Set<String> expected = new TreeSet<>();
    for (String table : tables()) {
      expected.add(Identifiers.qualified(config.schema(), table));
    }
    Set<String> published = new TreeSet<>();
    String columnsSql = serverVersion >= 150000
        ? "SELECT " + QUOTED_NAME + ", r.prattrs IS NULL,"
            + " ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = r.prrelid"
            + " AND a.attnum = ANY (r.prattrs::int2[]))"
        : "SELECT " + QUOTED_NAME + ", true, ARRAY[]::text[]";
    try (PreparedStatement ps = c.prepareStatement(columnsSql + " FROM pg_publication_rel r"
        + " JOIN pg_publication p ON p.oid = r.prpubid JOIN pg_class t ON t.oid = r.prrelid"
        + " JOIN pg_namespace n ON n.oid = t.relnamespace WHERE p.pubname = ? ORDER BY 1")) {
      ps.setString(1, publication);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String table = rs.getString(1);
          published.add(table);
          if (expected.contains(table) && !rs.getBoolean(2)) {
            checkColumnList(c, table, strings(rs.getArray(3)), fix);
          }
        }
      }
    }
    if (!published.equals(expected)) {
      Set<String> missing = new TreeSet<>(expected);
      missing.removeAll(published);
      Set<String> extra = new TreeSet<>(published);
      extra.removeAll(expected);
      problems.add("publication " + publication + " must publish exactly " + expected
          + (missing.isEmpty() ? "" : "; it lacks " + missing)
          + (extra.isEmpty() ? "" : "; it also publishes " + extra) + ": " + fix);
    }
  }

  private void checkColumnList(Connection c, String table, Set<String> listed, String fix)
      throws SQLException {
    Set<String> needed = new TreeSet<>(neededColumns(c, table));
    boolean full = false;
    try (PreparedStatement ps = c.prepareStatement("SELECT t.relid::text,"
        + " c.relreplident = 'f', " + schemaPrefix() + "pgbridge_replica_identity_columns(t.relid)"
        + " FROM " + schemaPrefix() + "pgbridge_relations(?::regclass) t"
        + " JOIN pg_class c ON c.oid = t.relid")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (rs.getBoolean(2)) {
            full = true;
            problems.add("publication " + config.walPublicationName() + " has a column list"
                + " for " + table + ", whose relation " + rs.getString(1) + " has REPLICA"
                + " IDENTITY FULL: PostgreSQL refuses every UPDATE and DELETE of it; " + fix
                + " (it publishes such a table without a column list)");
          } else {
            needed.addAll(strings(rs.getArray(3)));
          }
        }
      }
    }
    needed.removeAll(listed);
    if (!full && !needed.isEmpty()) {
      problems.add("the column list of " + table + " in publication "
          + config.walPublicationName() + " lacks " + needed + " (columns the bridge reads or"
          + " replica identity columns; without the latter PostgreSQL refuses every UPDATE and"
          + " DELETE of the table): " + fix);
    }
  }

  /** What migrate puts in a table's column list before the replica identity columns. */
  private List<String> neededColumns(Connection c, String table) throws SQLException {
    if (table.equals(Identifiers.qualified(config.schema(), config.sessionsTable()))) {
      return List.of("id", "state_version");
    }
    List<String> out = new ArrayList<>(List.of("session_id"));
    if (bool(c, "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = "
        + literal(table) + "::regclass AND attname = 'id' AND NOT attisdropped)")) {
      out.add("id");
    }
    return out;
  }

  /** Every leaf's old key must name its session: the id, or a child's session_id. */
  private void checkReplicaIdentities(Connection c) throws SQLException {
    for (String table : tables()) {
      boolean sessions = table.equals(config.sessionsTable());
      String column = sessions ? "id" : "session_id";
      try (PreparedStatement ps = c.prepareStatement("SELECT t.relid::text FROM "
          + schemaPrefix() + "pgbridge_relations(?::regclass) t WHERE t.isleaf AND NOT (? = ANY ("
          + schemaPrefix() + "pgbridge_replica_identity_columns(t.relid))) ORDER BY 1")) {
        ps.setString(1, Identifiers.qualified(config.schema(), table));
        ps.setString(2, column);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            problems.add("the replica identity of " + rs.getString(1) + " lacks " + column
                + ", so a deleted row would not name its session (a partition attached"
                + " after migrate?): run `pgbridge migrate"
                + " --source-mode wal` (it gives "
                + (sessions ? "nothing to the sessions table, which needs a primary key on id"
                    : "each leaf a unique index (session_id, primary key) as replica identity")
                + ")");
          }
        }
      }
    }
  }

  /**
   * No pg_notify trigger in the configured schema (writers would still pay NOTIFY's commit
   * lock, for nothing), and WAL mode's own deletion-log and TRUNCATE triggers everywhere.
   */
  private void checkTriggers(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT g.tgrelid::regclass::text"
        + " FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid"
        + " WHERE t.relnamespace = ?::regnamespace AND g.tgname = 'pgbridge_notify'"
        + " AND g.tgparentid = 0 ORDER BY 1")) {
      ps.setString(1, Identifiers.quote(config.schema()));
      List<String> notifying = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          notifying.add(rs.getString(1));
        }
      }
      if (!notifying.isEmpty()) {
        problems.add("pgbridge_notify triggers (source.mode=notify) are still on " + notifying
            + ": run `pgbridge migrate --source-mode wal` to drop them");
      }
    }
    String sessions = Identifiers.qualified(config.schema(), config.sessionsTable());
    try (PreparedStatement ps = c.prepareStatement("SELECT t.relid::text,"
        + " bool_or(g.tgname = 'pgbridge_truncate'"
        + " AND p.proname = 'pgbridge_truncate_sessions_wal'),"
        + " bool_or(g.tgname = 'pgbridge_deletion_log')"
        + " FROM " + schemaPrefix() + "pgbridge_relations(?::regclass) t"
        + " LEFT JOIN pg_trigger g ON g.tgrelid = t.relid"
        + " LEFT JOIN pg_proc p ON p.oid = g.tgfoid GROUP BY 1 ORDER BY 1")) {
      ps.setString(1, sessions);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (!rs.getBoolean(2)) {
            problems.add(rs.getString(1) + " has no WAL-mode pgbridge_truncate trigger (a"
                + " partition attached after migrate?): a TRUNCATE of it would publish no"
                + " tombstones; run `pgbridge migrate --source-mode wal`");
          }
          if (rs.getString(1).equals(sessions) && !rs.getBoolean(3)) {
            problems.add(sessions + " has no pgbridge_deletion_log trigger: a session deleted"
                + " while the bridge is away would get no tombstone; run `pgbridge migrate"
                + " --source-mode wal`");
          }
        }
      }
    }
  }

  /**
   * A synchronous standby entry that the bridge's replication connection satisfies makes
   * every commit wait for the bridge's confirmation, which only moves after Kafka
   * acknowledged: writers would stall whenever Kafka or the bridge does.
   */
  private void checkSynchronousStandby(Connection c) throws SQLException {
    String names = stringQuery(c, "SELECT current_setting('synchronous_standby_names')");
    String match = syncStandbyMatch(names, applicationNames());
    if (match != null) {
      problems.add("synchronous_standby_names = '" + names + "' names " + match + ", which the"
          + " bridge's replication connection would match: every commit would then wait for"
          + " the bridge (and for Kafka); list the standbys by name instead of '*' and never"
          + " the bridge, then SELECT pg_reload_conf()");
    }
  }

  /** The application names the bridge's replication connection may report. */
  private Set<String> applicationNames() {
    Set<String> names = new LinkedHashSet<>();
    names.add(config.walSlotName());
    names.add(config.bridgeId());
    names.add("pgbridge");
    return names;
  }

  /**
   * The entry of {@code synchronous_standby_names} that one of {@code applicationNames}
   * matches ({@code *} matches all; names compare case-insensitively, quoted or not, as
   * PostgreSQL's synchronous replication does), or
   * null. Understands {@code FIRST n (...)}, {@code ANY n (...)}, {@code n (...)} and plain
   * lists, with double-quoted names.
   */
  static String syncStandbyMatch(String setting, Collection<String> applicationNames) {
    return SyncStandby.match(setting, applicationNames);
  }

  private void checkFailover(Connection c) throws SQLException {
    if (!config.walSlotFailover()) {
      return;
    }
    if (serverVersion < 170000) {
      problems.add("wal.slot.failover=true needs PostgreSQL 17 or later (failover slots); this"
          + " server is " + serverVersion / 10000 + ": set wal.slot.failover=false (see"
          + " \"PostgreSQL 17 failover slots\" in the README)");
      return;
    }
    if (stringQuery(c, "SELECT current_setting('synchronized_standby_slots')").isBlank()) {
      warnings.add("wal.slot.failover=true but synchronized_standby_slots is empty on this"
          + " server: the slot may confirm changes a standby has not received yet, and after"
          + " a failover to that standby the slot is unusable (the bridge then re-creates it"
          + " and catches up); list the standbys' physical slots in synchronized_standby_slots");
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT failover FROM pg_replication_slots"
        + " WHERE slot_name = ?")) {
      ps.setString(1, config.walSlotName());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next() && !rs.getBoolean(1)) {
          warnings.add("replication slot " + config.walSlotName() + " was created without"
              + " failover: wal.slot.failover applies to slots the bridge creates; to change"
              + " it, stop the bridge and ALTER_REPLICATION_SLOT " + config.walSlotName()
              + " (FAILOVER true) on a replication connection, or drop the slot (the bridge"
              + " re-creates it and catches up from its checkpoint)");
        }
      }
    }
  }

  private List<String> tables() {
    List<String> tables = new ArrayList<>();
    tables.add(config.sessionsTable());
    tables.addAll(Bridge.CHILD_TABLES);
    return tables;
  }

  private String schemaPrefix() {
    return Identifiers.quote(config.schema()) + ".";
  }

  private static String literal(String text) {
    return "'" + text.replace("'", "''") + "'";
  }

  private static Set<String> strings(Array array) throws SQLException {
    Set<String> out = new TreeSet<>();
    if (array != null) {
      for (Object o : (Object[]) array.getArray()) {
        out.add((String) o);
      }
    }
    return out;
  }

  private static boolean bool(Connection c, String sql) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  private static int intQuery(Connection c, String sql) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static String stringQuery(Connection c, String sql) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getString(1);
    }
  }
}
