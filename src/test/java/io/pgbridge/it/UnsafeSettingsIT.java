package io.pgbridge.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.cli.PreflightAccess;
import io.pgbridge.testing.BridgeHarness;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Settings under which a published commit can vanish in a crash: {@code check} (and the start
 * of {@code run}) warn about {@code synchronous_commit=off} set for the database or for a
 * writer's role, which the bridge's own session does not show.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UnsafeSettingsIT {

  @Test
  void warnsAboutAsynchronousCommitForTheDatabaseOrAWritersRole() throws Exception {
    BridgeHarness h = BridgeHarness.create("unsafe_settings", 1);
    assertThat(PreflightAccess.warnings(h.settings(Map.of())))
        .noneMatch(w -> w.contains("synchronous_commit"));
    try (Connection c = h.connect(); Statement st = c.createStatement()) {
      st.execute("DROP ROLE IF EXISTS pgb_it_async_writer");
      st.execute("CREATE ROLE pgb_it_async_writer");
      st.execute("ALTER ROLE pgb_it_async_writer IN DATABASE unsafe_settings"
          + " SET synchronous_commit = off");
      assertThat(PreflightAccess.warnings(h.settings(Map.of())))
          .anySatisfy(w -> assertThat(w).contains("synchronous_commit=off")
              .contains("pgb_it_async_writer"));
      st.execute("ALTER ROLE pgb_it_async_writer IN DATABASE unsafe_settings"
          + " RESET synchronous_commit");
      st.execute("ALTER DATABASE unsafe_settings SET synchronous_commit = off");
      assertThat(PreflightAccess.warnings(h.settings(Map.of())))
          .anySatisfy(w -> assertThat(w).contains("synchronous_commit=off")
              .contains("unsafe_settings"));
      st.execute("ALTER DATABASE unsafe_settings RESET synchronous_commit");
      st.execute("DROP ROLE pgb_it_async_writer");
    }
  }
}
