package io.pgbridge.faults;

import static io.pgbridge.faults.KillNineIT.ms;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgbridge.embedded.EmbeddedPostgresServer;
import io.pgbridge.source.SourceMode;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.BridgeProcess;
import io.pgbridge.testing.FaultWorkload;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.TestInfra;
import io.pgbridge.testing.TopicReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WAL source's replication slot lost, the one fault the slot cannot replay: its changes
 * are gone, so the bridge must say so (an ERROR in its log,
 * {@code pgbridge_wal_slot_recreated_total{reason}}, {@code /status source.slot.lastLoss}),
 * re-create the slot and catch up from its stored checkpoint, and every final state must
 * arrive. Dropped while the bridge streams from it; invalidated by
 * {@code max_slot_wal_keep_size} while the bridge is down.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class SlotLossIT {

  private static final Logger log = LoggerFactory.getLogger(SlotLossIT.class);
  private static final String RECREATED = "pgbridge_wal_slot_recreated_total";
  private static final String CATCH_UP = "pgbridge_catchup_sessions_total";

  @Test
  void aSlotDroppedUnderTheRunningBridgeIsRecreatedAndCaughtUpFromTheCheckpoint()
      throws Exception {
    BridgeHarness h = BridgeHarness.create("faults_slot_dropped", 2, SourceMode.WAL);
    try (Connection c = h.connect(); TopicReader reader = h.reader();
        BridgeProcess bridge = new BridgeProcess("slot-dropped", h.settings(Map.of()));
        FaultWorkload workload = startBridgeAndWriter(h, c, reader, bridge, 70L)) {
      String slot = ListenerTerminationIT.awaitActiveSlot(c, h.slotName()).name();
      double catchUpBefore = bridge.metric(CATCH_UP);

      assertThat(SourceBackend.drop(c, slot, Duration.ofSeconds(30))).as("dropped " + slot)
          .isTrue();
      long droppedAt = System.nanoTime();
      long recreatedAt = awaitMetric(bridge, "dropped", Duration.ofSeconds(30));
      assertThat(ListenerTerminationIT.awaitActiveSlot(c, h.slotName()).name()).isEqualTo(slot);
      workload.awaitCommitsAfter(workload.commits(), 50, Duration.ofSeconds(30));
      workload.pause();
      List<String> mismatches = FinalStateCheck.await(reader, c, workload.deleted(),
          Duration.ofSeconds(60));
      long equalAt = System.nanoTime();
      double catchUp = bridge.metric(CATCH_UP) - catchUpBefore;
      log.info("slot {} dropped under the bridge: re-created after {} ms; catch-up marked {}"
              + " sessions; writer stopped -> final state equal {} ms; {}; {} records on the"
              + " topic", slot, ms(recreatedAt - droppedAt), (long) catchUp,
          ms(equalAt - recreatedAt), workload.report(), reader.all().size());
      assertThat(mismatches).isEmpty();
      assertLossReported(bridge, slot, "dropped");
      assertThat(catchUp).as("sessions caught up from the checkpoint after the loss")
          .isPositive();

      assertWriterProgressesAndStateFollows(c, reader, workload);
      assertThat(bridge.terminate(Duration.ofSeconds(40))).isZero();
    } finally {
      ListenerTerminationIT.dropSlots(h, SourceMode.WAL);
    }
  }

  @Test
  void aSlotInvalidatedWhileTheBridgeIsDownIsRecreatedAndCaughtUpFromTheCheckpoint()
      throws Exception {
    // 1 MB is less than a WAL segment: the slot keeps nothing beyond the current segment
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(
        Map.of("max_slot_wal_keep_size", "1MB"))) {
      TestInfra.Postgres postgres = new TestInfra.Postgres(pg.jdbcUrl(), pg.user(),
          pg.password());
      BridgeHarness h = BridgeHarness.create(postgres, "faults_slot_invalidated",
          TestInfra.kafkaBootstrap(), TestInfra.newTopic("faults-slot-invalidated", 2),
          SourceMode.WAL);
      try (Connection c = h.connect(); TopicReader reader = h.reader();
          BridgeProcess bridge = new BridgeProcess("slot-invalidated", h.settings(Map.of()));
          FaultWorkload workload = startBridgeAndWriter(h, c, reader, bridge, 71L)) {
        String slot = ListenerTerminationIT.awaitActiveSlot(c, h.slotName()).name();
        workload.pause();
        assertThat(bridge.terminate(Duration.ofSeconds(40))).as("exit code").isZero();

        workload.markWindow();
        workload.resume();
        Thread.sleep(2_000);
        workload.pause();
        Set<UUID> changedWhileDown = workload.window();
        assertThat(changedWhileDown).as("sessions changed while the bridge was down")
            .isNotEmpty();
        int rounds = invalidate(c, slot);
        log.info("slot {} invalidated after {} round(s) of unrelated WAL", slot, rounds);

        long startAt = System.nanoTime();
        bridge.start();
        long recreatedAt = awaitMetric(bridge, "invalidated", Duration.ofSeconds(30));
        List<String> mismatches = FinalStateCheck.await(reader, c, workload.deleted(),
            Duration.ofSeconds(60));
        long equalAt = System.nanoTime();
        double catchUp = bridge.metric(CATCH_UP);
        log.info("slot {} invalidated while down: launch -> re-created {} ms, -> final state"
                + " equal {} ms; catch-up marked {} sessions, {} changed while down; {}", slot,
            ms(recreatedAt - startAt), ms(equalAt - startAt), (long) catchUp,
            changedWhileDown.size(), workload.report());
        assertThat(mismatches).isEmpty();
        assertLossReported(bridge, slot, "invalidated");
        assertThat(catchUp).as("catch-up from the checkpoint covers the sessions changed while"
            + " down").isGreaterThanOrEqualTo(changedWhileDown.size());
        SourceBackend.Slot recreated = ListenerTerminationIT.awaitActiveSlot(c, h.slotName());
        assertThat(recreated.name()).isEqualTo(slot);
        assertThat(recreated.walStatus()).isNotEqualTo("lost");

        assertWriterProgressesAndStateFollows(c, reader, workload);
        assertThat(bridge.terminate(Duration.ofSeconds(40))).isZero();
      } finally {
        ListenerTerminationIT.dropSlots(h, SourceMode.WAL);
      }
    }
  }

  /**
   * Inserts sessions, starts the bridge, waits for the topic to match, then starts a writer on
   * half the sessions and lets it run until checkpoints are stored.
   */
  private static FaultWorkload startBridgeAndWriter(BridgeHarness h, Connection c,
      TopicReader reader, BridgeProcess bridge, long seed) throws Exception {
    List<UUID> ids = FaultWorkload.insertSessions(c, 300);
    bridge.start();
    assertThat(bridge.awaitReady(Duration.ofSeconds(30))).as("ready").isTrue();
    assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(60))).isEmpty();
    FaultWorkload workload = new FaultWorkload(h::connect, ids.subList(0, 150), seed, 2_000)
        .start();
    Thread.sleep(2_000);
    assertThat(bridge.metric("pgbridge_checkpoints_stored_total")).as("checkpoints stored")
        .isPositive();
    return workload;
  }

  /**
   * Writes WAL to a table outside the publication, switching segments and checkpointing,
   * until the inactive slot is {@code wal_status = 'lost'}; returns the rounds it took.
   */
  private static int invalidate(Connection c, String slot) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS wal_filler (n int, pad text)");
      for (int round = 1; round <= 20; round++) {
        st.execute("INSERT INTO wal_filler SELECT g, repeat('w', 1000)"
            + " FROM generate_series(1, 2000) g");
        st.execute("SELECT pg_switch_wal()");
        st.execute("CHECKPOINT");
        SourceBackend.Slot s = SourceBackend.slot(c, slot);
        assertThat(s).as(slot).isNotNull();
        assertThat(s.active()).as(slot + " active while the bridge is down").isFalse();
        if ("lost".equals(s.walStatus())) {
          return round;
        }
      }
    }
    throw new AssertionError(slot + " still not lost after 20 rounds: "
        + SourceBackend.slot(c, slot));
  }

  /** Waits until the bridge counted a re-creation for {@code reason}; when it did. */
  private static long awaitMetric(BridgeProcess bridge, String reason, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() - deadline < 0) {
      if (bridge.isAlive() && bridge.tryGet("/healthz") != null
          && bridge.metric(RECREATED, "reason", reason) > 0) {
        return System.nanoTime();
      }
      Thread.sleep(50);
    }
    throw new AssertionError(RECREATED + "{reason=\"" + reason + "\"} still 0 after " + timeout
        + "; the bridge's log:\n" + bridge.tail(40));
  }

  /** The loss counted once, in {@code /status}, and logged as an ERROR naming the slot. */
  private static void assertLossReported(BridgeProcess bridge, String slot, String reason)
      throws Exception {
    String other = reason.equals("dropped") ? "invalidated" : "dropped";
    assertThat(bridge.metric(RECREATED, "reason", reason)).as(RECREATED + " " + reason)
        .isEqualTo(1.0);
    assertThat(bridge.metric(RECREATED, "reason", other)).as(RECREATED + " " + other)
        .isZero();
    JsonNode loss = bridge.status().path("source").path("slot").path("lastLoss");
    assertThat(loss.path("reason").asText()).as("/status source.slot.lastLoss: " + loss)
        .isEqualTo(reason);
    assertThat(loss.path("at").asText()).as("/status source.slot.lastLoss.at").isNotEmpty();
    List<String> errors = Files.readAllLines(bridge.logFile(), StandardCharsets.UTF_8).stream()
        .filter(line -> line.contains("ERROR") && line.contains(slot)).toList();
    assertThat(errors).as("ERROR lines naming %s in %s", slot, bridge.logFile()).isNotEmpty();
    log.info("the bridge logged: {}", errors.get(0));
  }

  /** The writer commits again after the fault, and the topic follows it. */
  private static void assertWriterProgressesAndStateFollows(Connection c,
      TopicReader reader, FaultWorkload workload) throws Exception {
    long resumedAt = workload.commits();
    workload.resume();
    workload.awaitCommitsAfter(resumedAt, 50, Duration.ofSeconds(30));
    workload.stop();
    assertThat(FinalStateCheck.await(reader, c, workload.deleted(), Duration.ofSeconds(30)))
        .isEmpty();
  }
}
