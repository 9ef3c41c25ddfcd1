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

  @Test
  void endsWithTheCallThatPutsTheDatabaseInTheMode() {
    String notify = MigrationScript.render(migrator, true);
    String lastFile = Migrator.bundled().get(Migrator.bundled().size() - 1).file();
    String call = "SELECT * FROM \"app\".pgbridge_source_mode_apply('notify', 'pgbridge',"
        + " 'agent_updates');\n";
    assertThat(notify).endsWith(call);
    assertThat(notify.indexOf(call)).isGreaterThan(notify.indexOf(lastFile));
    assertThat(notify).contains("listen.channel=agent_updates, source.mode=notify\n");

    Migrator wal = new Migrator("app", "agent_sessions", "agent_updates",
        io.pgbridge.source.SourceMode.WAL, "Agent_pub");
    String script = MigrationScript.render(wal, true);
    assertThat(script).contains("source.mode=wal, wal.publication.name=Agent_pub")
        .endsWith("SELECT * FROM \"app\".pgbridge_source_mode_apply('wal', 'Agent_pub',"
            + " 'agent_updates');\n");
    // the files are the same in both modes: only the last statement differs
    assertThat(script.substring(script.indexOf("-- ==== V002")))
        .startsWith(notify.substring(notify.indexOf("-- ==== V002"),
            notify.indexOf("-- ==== source")));
  }

  @Test
  void aPublicationNameThatIsNoIdentifierIsRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Migrator("app", "s", "c",
        io.pgbridge.source.SourceMode.WAL, "pub'); DROP TABLE x; --"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
