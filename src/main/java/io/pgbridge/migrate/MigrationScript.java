package io.pgbridge.migrate;

import io.pgbridge.Versions;
import io.pgbridge.source.SourceMode;
import java.util.List;

/**
 * The SQL that {@link Migrator#migrate} applies, as one script for teams that run their
 * migrations with Flyway, Liquibase or psql, or review DDL before production
 * ({@code pgbridge migrate --print}): the same preamble, every bundled file in order with the
 * placeholders filled, and after each file the insert into {@code pgbridge_schema_history}
 * with the checksum {@code migrate} would record, so that a later {@code migrate} finds the
 * files applied and {@code check} accepts the schema, and last the call that puts the database
 * in the migrator's source mode. No transaction control is written: the
 * runner supplies it (psql {@code --single-transaction}, a Flyway migration). Pure; no
 * connection.
 */
public final class MigrationScript {

  private MigrationScript() {}

  /** The script for {@code migrator}'s placeholders; {@code bridgeOnly} leaves out V001. */
  public static String render(Migrator migrator, boolean bridgeOnly) {
    StringBuilder out = new StringBuilder();
    out.append("-- pgbridge ").append(Versions.pgbridge()).append(": the SQL of `pgbridge migrate")
        .append(bridgeOnly ? " --bridge-only" : "").append("`\n")
        .append("-- database.schema=").append(migrator.schema())
        .append(", sessions.table=").append(migrator.sessionsTable())
        .append(", listen.channel=").append(migrator.channel())
        .append(", source.mode=").append(migrator.mode().value())
        .append(migrator.mode() == SourceMode.WAL
            ? ", wal.publication.name=" + migrator.publication() : "").append('\n')
        .append("-- Apply it in one transaction (psql -v ON_ERROR_STOP=1 --single-transaction")
        .append(" -f FILE, or as one\n")
        .append("-- Flyway/Liquibase change). The inserts into pgbridge_schema_history record")
        .append(" each file as\n")
        .append("-- `pgbridge migrate` does, so that it and `pgbridge check` see them applied.\n\n");
    out.append("-- Serialises concurrent migrators (held until the transaction ends).\n");
    List<String> preamble = migrator.preamble();
    for (String statement : preamble) {
      out.append(statement).append(";\n");
    }
    for (Migrator.Migration m : Migrator.bundled()) {
      if (bridgeOnly && m.isReferenceSchema()) {
        continue;
      }
      String sql = migrator.substitute(m.sql());
      out.append("\n-- ==== ").append(m.file()).append(" ====\n");
      out.append(sql.endsWith("\n") ? sql : sql + "\n");
      out.append(String.format(Migrator.RECORD, migrator.history(), literal(m.version()),
          literal(m.description()), literal(Migrator.checksum(sql)))).append(";\n");
    }
    out.append("\n-- ==== source.mode=").append(migrator.mode().value()).append(" ====\n")
        .append(migrator.mode() == SourceMode.WAL ? WAL_COMMENT : NOTIFY_COMMENT)
        .append(migrator.modeStatement()).append(";\n");
    return out.toString();
  }

  private static final String NOTIFY_COMMENT = """
      -- Puts the database in source.mode=notify, as `migrate` does after the files on every run
      -- (pgbridge_source_mode_apply, V011): the pg_notify row triggers on the four tables and
      -- the notify TRUNCATE trigger on the sessions table and each partition; coming from wal,
      -- the publication, the replica identity indexes and the deletion-log trigger are dropped,
      -- and so is every inactive replication slot recorded in pgbridge_checkpoint.wal_slot (an
      -- active one refuses the whole script). Returns a line per change.
      """;

  private static final String WAL_COMMENT = """
      -- Puts the database in source.mode=wal, as `migrate` does after the files on every run
      -- (pgbridge_source_mode_apply, V011): a unique index (session_id, primary key) as replica
      -- identity of each child table whose replica identity lacks session_id, on every
      -- partition; the publication of the four tables (PostgreSQL 15+: only the columns the
      -- bridge reads and every replica identity column) publishing via the partition root;
      -- the deletion-log trigger and the wal TRUNCATE trigger instead of the pg_notify
      -- triggers. Returns a line per change.
      """;

  private static String literal(String s) {
    return "'" + s.replace("'", "''") + "'";
  }
}
