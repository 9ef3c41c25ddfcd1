package io.pgbridge.faults;

import static io.pgbridge.faults.KillNineIT.ms;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.embedded.EmbeddedPostgresServer;
import io.pgbridge.embedded.KafkaBrokerProcess;
import io.pgbridge.source.SourceMode;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.BridgeProcess;
import io.pgbridge.testing.FaultWorkload;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.TestInfra;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A chaos soak: the bridge as a process, on a PostgreSQL server and a Kafka broker of its own,
 * under constant writes, while faults drawn from a seeded {@link Random} hit it one after the
 * other: the source's connection terminated (the LISTEN connection, or the walsender of the
 * slot), the bridge SIGKILLed and restarted after a while, the broker killed or stopped for a
 * few seconds, PostgreSQL restarted (mostly fast, sometimes immediate). After each fault the
 * writer is held (it wrote during the fault) and the time from the end of the fault to the
 * topic matching the database is measured; at the end, the final-state check; in WAL mode also
 * that a restarted process caught up nothing from the tables (the slot replays). Short by
 * default for CI; {@code -Dchaos.seconds}, {@code -Dchaos.sessions} and {@code -Dchaos.seed}
 * make the long version (docs/chaos.md), {@code -Dfaults.modes} picks the source modes.
 */
@Timeout(value = 2, unit = TimeUnit.HOURS)
class ChaosSoakIT {

  private static final Logger log = LoggerFactory.getLogger(ChaosSoakIT.class);
  private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(120);

  /** What the soak can do to the bridge. */
  enum Fault { LISTENER_TERMINATED, BRIDGE_KILLED, KAFKA_DOWN, POSTGRES_FAST_RESTART,
    POSTGRES_IMMEDIATE_RESTART }

  /** One injected fault: how long it lasted and how long the bridge took to recover. */
  record Injected(Fault fault, long faultMillis, long readyMillis, long equalMillis,
      List<String> mismatches) {}

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.pgbridge.faults.FaultModes#modes")
  void survivesARandomMixOfFaultsUnderConstantWrites(SourceMode mode) throws Throwable {
    long seed = Long.getLong("chaos.seed", System.nanoTime());
    int seconds = Integer.getInteger("chaos.seconds", 60);
    int sessions = Integer.getInteger("chaos.sessions", 200);
    log.info("chaos soak ({}): seed {} ({} s, {} sessions); rerun with -Dchaos.seed={}"
        + " -Dfaults.modes={}", mode.value(), seed, seconds, sessions, seed, mode.value());
    Assertions.assertTimeoutPreemptively(Duration.ofSeconds(seconds + 360L),
        () -> soak(mode, seed, seconds, sessions));
  }

  private void soak(SourceMode mode, long seed, int seconds, int sessions) throws Exception {
    Random random = new Random(seed);
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start();
        KafkaBrokerProcess broker = new KafkaBrokerProcess()) {
      broker.start();
      TestInfra.Postgres postgres = new TestInfra.Postgres(pg.jdbcUrl(), pg.user(),
          pg.password());
      BridgeHarness h = BridgeHarness.create(postgres, FaultModes.named("faults_chaos", mode),
          broker.bootstrapServers(), TestInfra.newTopic(broker.bootstrapServers(),
              "faults-chaos-" + mode.value(), 3), mode);
      try (TopicReader reader = h.reader();
          BridgeProcess bridge = new BridgeProcess(FaultModes.named("chaos", mode),
              h.settings(Map.of(
              "kafka.delivery.timeout.ms", "120000",
              "kafka.max.block.ms", "5000")))) {
        List<UUID> ids;
        try (Connection c = h.connect()) {
          ids = FaultWorkload.insertSessions(c, sessions);
        }
        bridge.start();
        assertThat(awaitEqual(h, reader, Set.of())).isEmpty();
        double initialCatchUp = bridge.metric("pgbridge_catchup_sessions_total");
        FaultWorkload workload = new FaultWorkload(h::connect, ids, seed, 2_000).start();
        List<Injected> injected = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() - deadline < 0) {
          Thread.sleep(1_000 + random.nextInt(2_000));
          Fault fault = pick(random);
          long began = System.nanoTime();
          inject(fault, mode, random, h, pg, broker, bridge);
          long ended = System.nanoTime();
          workload.pause();
          long readyAt = bridge.awaitReady(RECOVERY_TIMEOUT) ? System.nanoTime() : -1;
          List<String> mismatches = awaitEqual(h, reader, workload.deleted());
          long equalAt = System.nanoTime();
          Injected i = new Injected(fault, ms(ended - began),
              readyAt < 0 ? -1 : ms(readyAt - ended), ms(equalAt - ended), mismatches);
          injected.add(i);
          log.info("chaos: {} (fault {} ms): ready after {} ms, final state equal after {} ms{}",
              fault, i.faultMillis(), i.readyMillis(), i.equalMillis(),
              mismatches.isEmpty() ? "" : "; NOT EQUAL: " + mismatches.subList(0,
                  Math.min(10, mismatches.size())));
          if (!mismatches.isEmpty()) {
            break;
          }
          workload.resume();
        }
        workload.stop();
        List<String> finalCheck = awaitEqual(h, reader, workload.deleted());
        log.info(report(mode, seed, seconds, sessions, workload, reader, injected, finalCheck));
        assertThat(injected).as("faults injected").isNotEmpty();
        assertThat(injected).allSatisfy(i -> assertThat(i.mismatches()).as(i.fault().name())
            .isEmpty());
        assertThat(finalCheck).isEmpty();
        if (mode == SourceMode.WAL) {
          // the first process caught up every session at its start (no slot yet); any other
          // catch-up means a slot was found lost
          double caughtUp = bridge.metric("pgbridge_catchup_sessions_total")
              - (bridge.starts() == 1 ? initialCatchUp : 0);
          assertThat(caughtUp).as("sessions the last process (start %d) caught up from the"
              + " tables", bridge.starts()).isZero();
          assertThat(bridge.metric("pgbridge_wal_changes_total"))
              .as("row changes the last process decoded from the slot").isPositive();
        }
        assertThat(bridge.terminate(Duration.ofSeconds(60))).as("exit code").isZero();
        ListenerTerminationIT.dropSlots(h, mode);
      }
    }
  }

  private static Fault pick(Random random) {
    int n = random.nextInt(8);
    return switch (n) {
      case 0, 1 -> Fault.LISTENER_TERMINATED;
      case 2, 3 -> Fault.BRIDGE_KILLED;
      case 4, 5 -> Fault.KAFKA_DOWN;
      case 6 -> Fault.POSTGRES_FAST_RESTART;
      default -> random.nextBoolean() ? Fault.POSTGRES_FAST_RESTART
          : Fault.POSTGRES_IMMEDIATE_RESTART;
    };
  }

  /** Injects {@code fault} and returns once it is over (the failed part is back). */
  private static void inject(Fault fault, SourceMode mode, Random random, BridgeHarness h,
      EmbeddedPostgresServer pg, KafkaBrokerProcess broker, BridgeProcess bridge)
      throws Exception {
    switch (fault) {
      case LISTENER_TERMINATED -> {
        try (Connection c = h.connect()) {
          SourceBackend.terminate(c, mode, h.slotName());
        }
      }
      case BRIDGE_KILLED -> {
        bridge.killHard();
        Thread.sleep(500 + random.nextInt(3_500));
        bridge.start();
      }
      case KAFKA_DOWN -> {
        if (random.nextBoolean()) {
          broker.kill();
        } else {
          broker.stop();
        }
        Thread.sleep(3_000 + random.nextInt(9_000));
        broker.start();
      }
      case POSTGRES_FAST_RESTART -> pg.restart(false);
      case POSTGRES_IMMEDIATE_RESTART -> pg.restart(true);
      default -> throw new IllegalArgumentException(fault.name());
    }
  }

  private static List<String> awaitEqual(BridgeHarness h, TopicReader reader, Set<UUID> deleted)
      throws Exception {
    long deadline = System.nanoTime() + RECOVERY_TIMEOUT.toNanos();
    while (true) {
      // the connection too may have been broken by the fault
      try (Connection c = h.connect()) {
        return FinalStateCheck.await(reader, c, deleted,
            Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      } catch (java.sql.SQLException e) {
        if (System.nanoTime() - deadline > 0) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  private static String report(SourceMode mode, long seed, int seconds, int sessions,
      FaultWorkload workload, TopicReader reader, List<Injected> injected,
      List<String> finalCheck) {
    Map<Fault, List<Injected>> byKind = new EnumMap<>(Fault.class);
    for (Injected i : injected) {
      byKind.computeIfAbsent(i.fault(), k -> new ArrayList<>()).add(i);
    }
    StringBuilder b = new StringBuilder();
    b.append(String.format("%nchaos soak report (%s): seed %d, %d s, %d sessions%n", mode.value(),
        seed, seconds, sessions));
    b.append(String.format("  writes: %s%n", workload.report()));
    b.append(String.format("  records on the topic: %d%n", reader.all().size()));
    b.append(String.format("  faults injected: %d%n", injected.size()));
    byKind.forEach((kind, list) -> b.append(String.format(
        "  %-27s x%-3d fault %s ms; ready after %s ms; final state equal after %s ms%n", kind,
        list.size(), stats(list.stream().mapToLong(Injected::faultMillis).toArray()),
        stats(list.stream().mapToLong(Injected::readyMillis).toArray()),
        stats(list.stream().mapToLong(Injected::equalMillis).toArray()))));
    b.append(String.format("  final state check: %s%n", finalCheck.isEmpty() ? "equal"
        : finalCheck.size() + " mismatches, first " + finalCheck.subList(0,
            Math.min(10, finalCheck.size()))));
    return b.toString();
  }

  /** min/median/max. */
  private static String stats(long[] values) {
    long[] v = values.clone();
    java.util.Arrays.sort(v);
    return v[0] + "/" + v[v.length / 2] + "/" + v[v.length - 1];
  }
}
