package io.pgbridge.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The system-binaries server the writer benchmark runs on: durable settings as asked, logical
 * decoding possible, never running as root, and gone after close.
 */
class DurablePostgresIT {

  @Test
  @Timeout(120)
  void runsDurableWithLogicalDecodingAsANonRootUserAndCleansUp() throws Exception {
    Path dataDir;
    try (DurablePostgres pg = DurablePostgres.start();
        Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT current_setting('fsync'),"
          + " current_setting('synchronous_commit'), current_setting('wal_level'),"
          + " current_setting('max_replication_slots')::int, current_setting('data_directory'),"
          + " pg_backend_pid()")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("on");
        assertThat(rs.getString(2)).isEqualTo("on");
        assertThat(rs.getString(3)).isEqualTo("logical");
        assertThat(rs.getInt(4)).isGreaterThanOrEqualTo(40);
        dataDir = Path.of(rs.getString(5));
        // the backend runs on this machine; PostgreSQL refuses root, so it must not be root
        String status = Files.readString(Path.of("/proc/" + rs.getInt(6) + "/status"));
        assertThat(status).containsPattern("(?m)^Uid:\\s+[1-9]");
      }
      s.execute("SELECT pg_create_logical_replication_slot('durable_it', 'pgoutput')");
      s.execute("SELECT pg_drop_replication_slot('durable_it')");
      assertThat(pg.describe()).contains("fsync=on");
    }
    assertThat(dataDir).doesNotExist();
  }

  @Test
  @Timeout(120)
  void fsyncCanBeTurnedOffForComparison() throws Exception {
    try (DurablePostgres pg = DurablePostgres.start(DurablePostgres.DEFAULT_BINARIES, false);
        Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        ResultSet rs = c.createStatement().executeQuery("SELECT current_setting('fsync'),"
            + " current_setting('synchronous_commit')")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("off");
      assertThat(rs.getString(2)).isEqualTo("on");
    }
  }
}
