package io.pgbridge.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.ChangeSources.Op;
import io.pgbridge.embedded.EmbeddedPostgresServer;
import io.pgbridge.source.Recovery;
import io.pgbridge.testing.TestInfra;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A slot invalidated by the server for real: on a PostgreSQL of its own with
 * {@code max_slot_wal_keep_size=1MB}, a slot held back by a session that is never acknowledged
 * loses its WAL at the next checkpoint once a few segments were written. The checkpointer ends
 * the walsender; the next begin() finds {@code wal_status=lost}, drops and re-creates the slot,
 * counts it and owes the checkpoint's catch-up.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SlotInvalidationIT {

  private static EmbeddedPostgresServer server;
  private static TestInfra.Postgres postgres;

  @BeforeAll
  static void startServer() throws Exception {
    server = EmbeddedPostgresServer.start();
    postgres = new TestInfra.Postgres(server.jdbcUrl(), server.user(), server.password());
    try (Connection c = postgres.connect(); Statement st = c.createStatement()) {
      st.execute("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
      st.execute("SELECT pg_reload_conf()");
    }
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aSlotInvalidatedByTheServerIsCreatedAgainAndOwesTheCheckpointsCatchUp()
      throws Exception {
    try (WalFixture f = new WalFixture(postgres, "wal_invalidated", 100, true)) {
      f.source.recovered(f.begin());
      String checkpoint = f.store.currentSnapshot();
      f.store.store(checkpoint);
      UUID held = UUID.randomUUID();
      f.sql("INSERT INTO generation_sessions (id, project_id) VALUES ('" + held
          + "', gen_random_uuid())");
      f.pollUntil("the mark", Duration.ofSeconds(20), () -> f.coalescer.pendingCount() == 1);
      assertThat(f.takeAll()).hasSize(1); // in flight, never acknowledged: the slot holds

      assertThatThrownBy(() -> {
        for (int i = 0; i < 40; i++) {
          f.sql("INSERT INTO unrelated (payload) SELECT repeat('z', 1000)"
              + " FROM generate_series(1, 200)", "SELECT pg_switch_wal()");
          if (i % 4 == 3) {
            f.sql("CHECKPOINT");
          }
          f.pollFor(Duration.ofMillis(100));
        }
      }).as("the checkpointer ends the walsender of the slot it invalidates")
          .isInstanceOf(SQLException.class);
      assertThat(walStatus(f)).isEqualTo("lost");

      Recovery recovery = f.begin();
      assertThat(recovery).isEqualTo(Recovery.from(checkpoint));
      assertThat(walStatus(f)).as("a new slot").isNotEqualTo("lost");
      assertThat(f.registry.get("pgbridge.wal.slot.recreated").tag("reason", "invalidated")
          .counter().count()).isEqualTo(1);
      @SuppressWarnings("unchecked")
      Map<String, Object> slot = (Map<String, Object>) f.source.status().get("slot");
      assertThat(slot.get("lastLoss")).asString().contains("invalidated");
      assertThat(f.state.lastError()).contains("invalidated");

      UUID a = UUID.randomUUID();
      f.sql("INSERT INTO generation_sessions (id, project_id) VALUES ('" + a
          + "', gen_random_uuid())");
      f.awaitPublished(a, ChangeSources.bit(0, Op.INSERT));
    }
  }

  @Test
  void aFailingRecreationIsCountedAndLoggedOnceWhenTheSlotFinallyExists() throws Exception {
    try (WalFixture f = new WalFixture(postgres, "wal_recreate_retry", 100, true)) {
      f.source.recovered(f.begin());
      f.closeReplication();
      f.dropSlot();
      List<String> fillers = new ArrayList<>();
      try (Connection c = f.connect(); Statement st = c.createStatement()) {
        try {
          // no free slot: the re-creation fails until one is freed
          for (int i = 0; i < 100; i++) {
            st.execute("SELECT pg_create_physical_replication_slot('filler_" + i + "')");
            fillers.add("filler_" + i);
          }
        } catch (SQLException full) {
          assertThat(full.getSQLState()).isEqualTo("53400");
        }
        for (int attempt = 0; attempt < 3; attempt++) {
          assertThatThrownBy(f::begin).isInstanceOf(SQLException.class);
        }
        assertThat(f.registry.get("pgbridge.wal.slot.recreated").tag("reason", "dropped")
            .counter().count()).as("nothing re-created yet").isZero();
        @SuppressWarnings("unchecked")
        Map<String, Object> before = (Map<String, Object>) f.source.status().get("slot");
        assertThat(before.get("lastLoss")).isNull();

        st.execute("SELECT pg_drop_replication_slot('" + fillers.remove(fillers.size() - 1)
            + "')");
        f.begin();
        assertThat(f.registry.get("pgbridge.wal.slot.recreated").tag("reason", "dropped")
            .counter().count()).isEqualTo(1);
        @SuppressWarnings("unchecked")
        Map<String, Object> slot = (Map<String, Object>) f.source.status().get("slot");
        assertThat(slot.get("lastLoss")).asString().contains("dropped");
        assertThat(f.state.lastError()).contains("dropped");
      } finally {
        try (Connection c = f.connect(); Statement st = c.createStatement()) {
          for (String filler : fillers) {
            st.execute("SELECT pg_drop_replication_slot('" + filler + "')");
          }
        }
      }
    }
  }

  private static String walStatus(WalFixture f) throws SQLException {
    try (Connection c = f.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT wal_status FROM pg_replication_slots"
            + " WHERE slot_name = '" + f.source.slotName() + "'")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }
}
