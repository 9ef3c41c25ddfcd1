package io.pgbridge.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The printed script holds what {@code migrate} applies and records, in its order. */
class MigrationScriptTest {

  private final Migrator migrator = new Migrator("app", "agent_sessions", "agent_updates");

  @Test
  void containsEveryFileInOrderWithPlaceholdersFilledAndItsHistoryInsert() {
    String script = MigrationScript.render(migrator, false);

    assertThat(script).doesNotContain("${").contains("\"app\".\"agent_sessions\"")
        .contains("'agent_updates'");
    int at = 0;
    for (Migrator.Migration m : Migrator.bundled()) {
      String sql = migrator.substitute(m.sql());
      int file = script.indexOf(sql, at);
      assertThat(file).as(m.file()).isGreaterThan(at);
      String record = String.format(Migrator.RECORD, migrator.history(),
          "'" + m.version() + "'", "'" + m.description() + "'",
          "'" + Migrator.checksum(sql) + "'") + ";";
      int insert = script.indexOf(record, file + sql.length());
      assertThat(insert).as("history insert after %s", m.file()).isGreaterThan(file);
      at = insert;
    }
  }

  @Test
  void startsWithTheLockSchemaAndHistoryTableMigrateCreates() {
    String script = MigrationScript.render(migrator, false);
    List<String> preamble = migrator.preamble();

    assertThat(preamble.get(0)).startsWith("SELECT pg_advisory_xact_lock(");
    int first = script.indexOf(Migrator.bundled().get(0).file());
    for (String statement : preamble) {
      assertThat(script.indexOf(statement + ";\n")).as(statement).isBetween(0, first);
    }
    // the runner owns the transaction (psql --single-transaction, a Flyway migration)
    assertThat(script).doesNotContainPattern("(?m)^\\s*(BEGIN|COMMIT)\\s*;");
  }

  @Test
  void bridgeOnlyLeavesOutTheReferenceSchemaAndNothingElse() {
    String script = MigrationScript.render(migrator, true);

    for (Migrator.Migration m : Migrator.bundled()) {
      if (m.isReferenceSchema()) {
        assertThat(script).doesNotContain(m.file()).doesNotContain("'" + m.version() + "'");
      } else {
        assertThat(script).contains(migrator.substitute(m.sql()));
      }
    }
    assertThat(script).contains("migrate --bridge-only");
  }
}
