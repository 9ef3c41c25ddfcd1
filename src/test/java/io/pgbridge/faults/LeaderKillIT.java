package io.pgbridge.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.publish.RecordBuilder;
import io.pgbridge.source.SourceMode;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.BridgeProcess;
import io.pgbridge.testing.FaultWorkload;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * High availability with real processes: two bridges share one {@code bridge.id}; the leader
 * is SIGKILLed mid-stream while a writer keeps writing. The standby must take the lock within a
 * bounded time and every final state must arrive. NOTIFY: the standby catches up from the
 * shared checkpoint. WAL: the standby waits on a replication connection of its own and takes
 * the slot over once the lease is its; the slot replays what the leader did not confirm, so
 * nothing is caught up from the tables (only the settle pass republishes, later).
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class LeaderKillIT {

  private static final Logger log = LoggerFactory.getLogger(LeaderKillIT.class);
  private static final long TAKEOVER_BOUND_MS = 10_000;

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.pgbridge.faults.FaultModes#modes")
  void standbyTakesOverWhenTheLeaderIsKilledMidStream(SourceMode mode) throws Exception {
    BridgeHarness h = BridgeHarness.create(FaultModes.named("faults_leader_kill", mode), 2, mode);
    Map<String, String> settings = h.settings(Map.of("bridge.id", "ha-proc",
        "ha.retry.ms", "200", "ha.takeover.settle.ms", "2000",
        "kafka.delivery.timeout.ms", "1500", "kafka.request.timeout.ms", "1000"));
    try (Connection c = h.connect(); TopicReader reader = h.reader();
        BridgeProcess first = new BridgeProcess(FaultModes.named("ha-first", mode), settings);
        BridgeProcess second = new BridgeProcess(FaultModes.named("ha-second", mode),
            settings)) {
      List<UUID> ids = FaultWorkload.insertSessions(c, 300);
      first.start();
      assertThat(first.awaitReady(Duration.ofSeconds(30))).as("first ready").isTrue();
      assertThat(awaitRole(first, "leader")).isTrue();
      second.start();
      assertThat(awaitRole(second, "standby")).as("second waits as standby").isTrue();
      assertThat(second.ready()).as("a connected standby is ready").isTrue();
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(60))).isEmpty();
      // the first leader's initial catch-up is on the topic up to here
      reader.drain(Duration.ofMillis(300));
      int beforeKill = reader.all().size();

      try (FaultWorkload workload = new FaultWorkload(h::connect, ids.subList(0, 150), 11L,
          2_000).start()) {
        Thread.sleep(2_000);
        assertThat(second.metric("pgbridge_records_published_total")).isZero();
        first.killHard();
        long killedAt = System.nanoTime();
        assertThat(awaitRole(second, "leader")).as("standby took over").isTrue();
        long takeoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        workload.awaitCommitsAfter(workload.commits(), 50, Duration.ofSeconds(30));
        workload.stop();
        long stoppedAt = System.nanoTime();
        List<String> mismatches = FinalStateCheck.await(reader, c, workload.deleted(),
            Duration.ofSeconds(60));
        long equalMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt);
        assertThat(mismatches).isEmpty();
        assertThat(takeoverMs).isLessThan(TAKEOVER_BOUND_MS);
        assertThat(second.metric("pgbridge_records_published_total")).isPositive();
        long caughtUp = reader.all().subList(beforeKill, reader.all().size()).stream()
            .filter(LeaderKillIT::caughtUpOnly).count();
        log.info("{}: leader SIGKILLed: standby leader after {} ms; final state equal {} ms after"
                + " the writer stopped; {} records of the new leader's catch-up; {}; {} records",
            mode.value(), takeoverMs, equalMs, caughtUp, workload.report(), reader.all().size());
        if (mode == SourceMode.NOTIFY) {
          assertThat(caughtUp).as("records the new leader caught up from the checkpoint")
              .isPositive();
        } else {
          assertThat(caughtUp).as("records the new leader caught up from the tables: none,"
              + " the slot replays").isZero();
          assertThat(second.metric("pgbridge_wal_changes_total"))
              .as("row changes the new leader decoded from the slot").isPositive();
        }
        // the settle pass runs after the takeover and leaves every final state in place
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (reader.all().stream().noneMatch(r -> r.headers().getOrDefault(
            "pgbridge.sources", "").contains("republish")) && System.nanoTime() < deadline) {
          reader.poll(200);
        }
        assertThat(reader.all()).anyMatch(r -> r.headers().getOrDefault("pgbridge.sources", "")
            .contains("republish"));
        assertThat(FinalStateCheck.await(reader, c, workload.deleted(), Duration.ofSeconds(10)))
            .isEmpty();
      }
      assertThat(second.terminate(Duration.ofSeconds(40))).isZero();
    } finally {
      ListenerTerminationIT.dropSlots(h, mode);
    }
  }

  /** A record marked by catch-up alone (the settle pass adds {@code republish}). */
  private static boolean caughtUpOnly(io.pgbridge.testing.TopicReader.Received r) {
    List<String> sources = List.of(r.headers().getOrDefault(RecordBuilder.HEADER_SOURCES, "")
        .split(","));
    return sources.contains(ChangeSources.CATCHUP_NAME)
        && !sources.contains(ChangeSources.REPUBLISH_NAME);
  }

  private static boolean awaitRole(BridgeProcess bridge, String role) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      BridgeProcess.Response r = bridge.tryGet("/status");
      if (r != null && r.status() == 200
          && role.equals(SessionWriter.parse(r.body()).get("role").asText())) {
        return true;
      }
      Thread.sleep(50);
    }
    return false;
  }
}
