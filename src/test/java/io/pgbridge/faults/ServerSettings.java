package io.pgbridge.faults;

import io.pgbridge.embedded.EmbeddedPostgresServer;
import io.pgbridge.testing.TestInfra;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Extra settings for a dedicated {@link EmbeddedPostgresServer} of one test class (never the
 * shared server): written with {@code ALTER SYSTEM}, so that they survive the server's
 * restarts, then applied by a reload, or by a restart for the ones that need it
 * ({@code pg_settings.context = 'postmaster'}), and read back until every new connection
 * sees them.
 */
final class ServerSettings {

  private static final Pattern NAME = Pattern.compile("[a-z_]{1,63}");

  private ServerSettings() {}

  static void apply(EmbeddedPostgresServer server, Map<String, String> settings)
      throws SQLException, IOException, InterruptedException {
    TestInfra.Postgres postgres = new TestInfra.Postgres(server.jdbcUrl(), server.user(),
        server.password());
    boolean restart = false;
    try (Connection c = postgres.connect(); Statement st = c.createStatement()) {
      for (Map.Entry<String, String> e : settings.entrySet()) {
        if (!NAME.matcher(e.getKey()).matches()) {
          throw new IllegalArgumentException("not a server setting name: " + e.getKey());
        }
        st.execute("ALTER SYSTEM SET " + e.getKey() + " = '"
            + e.getValue().replace("'", "''") + "'");
        restart |= "postmaster".equals(context(c, e.getKey()));
      }
      if (!restart) {
        st.execute("SELECT pg_reload_conf()");
      }
    }
    if (restart) {
      server.restart(false);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    for (Map.Entry<String, String> e : settings.entrySet()) {
      String actual;
      while (!e.getValue().equals(actual = current(postgres, e.getKey()))) {
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("server setting " + e.getKey() + " is " + actual
              + ", not " + e.getValue() + ", after ALTER SYSTEM");
        }
        Thread.sleep(20);
      }
    }
  }

  private static String context(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT context FROM pg_settings WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalArgumentException("unknown server setting: " + name);
        }
        return rs.getString(1);
      }
    }
  }

  private static String current(TestInfra.Postgres postgres, String name) throws SQLException {
    try (Connection c = postgres.connect();
        PreparedStatement ps = c.prepareStatement("SELECT current_setting(?)")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }
}
