package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.cli.PreflightAccess;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.TestInfra;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The server the integration tests of this run talk to is the PostgreSQL major the build
 * asked for ({@code pgbridge.test.postgres.major}, one per failsafe execution), so a matrix
 * run cannot silently test 17 five times; and {@code check} accepts it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PostgresVersionIT {

  @Test
  void theServerIsTheRequestedMajorAndCheckAcceptsIt() throws Exception {
    String expected = System.getProperty("pgbridge.test.postgres.major");
    try (Connection c = TestInfra.postgres().connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT current_setting('server_version_num')::int")) {
      rs.next();
      int major = rs.getInt(1) / 10000;
      if (expected != null && System.getenv("PGBRIDGE_TEST_DATABASE_URL") == null) {
        assertThat(major).as("server major of this run").isEqualTo(Integer.parseInt(expected));
      }
      assertThat(major).isGreaterThanOrEqualTo(14);
    }
    BridgeHarness h = BridgeHarness.create("postgres_version", 1);
    assertThat(PreflightAccess.problems(h.settings(Map.of()))).isEmpty();
  }
}
