package io.pgbridge.faults;

import static io.pgbridge.faults.KillNineIT.ms;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.Bridge;
import io.pgbridge.BridgeState.Role;
import io.pgbridge.embedded.KafkaBrokerProcess;
import io.pgbridge.source.SourceMode;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.FaultWorkload;
import io.pgbridge.testing.FinalStateCheck;
import io.pgbridge.testing.TestInfra;
import io.pgbridge.testing.TopicReader;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only Kafka broker dies (SIGKILL, a real broker in a child JVM) for 30 seconds while the
 * platform keeps writing. The bridge must stay up and leading, report not ready while it cannot
 * publish, become ready again once the broker is back, publish every final state and keep
 * advancing its checkpoint. WAL: the slot is the acknowledgement, so while nothing can be
 * acknowledged its confirmed position must not pass the WAL position of the moment the broker
 * died, and it moves on once the broker is back.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class KafkaOutageIT {

  private static final Logger log = LoggerFactory.getLogger(KafkaOutageIT.class);
  private static final long OUTAGE_MS = 30_000;
  private static KafkaBrokerProcess broker;

  @BeforeAll
  static void startBroker() throws Exception {
    broker = new KafkaBrokerProcess();
    broker.start();
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.pgbridge.faults.FaultModes#modes")
  void staysUpNotReadyDuringA30SecondBrokerOutageAndPublishesEveryFinalStateAfter(
      SourceMode source) throws Exception {
    String topic = TestInfra.newTopic(broker.bootstrapServers(), "faults-kafka-"
        + source.value(), 2);
    BridgeHarness h = BridgeHarness.create(TestInfra.postgres(),
        FaultModes.named("faults_kafka", source), broker.bootstrapServers(), topic, source);
    Bridge bridge = h.startBridge(Map.of(
        "kafka.delivery.timeout.ms", "120000",
        "kafka.max.block.ms", "5000"));
    try (Connection c = h.connect(); TopicReader reader = h.reader()) {
      List<UUID> ids = FaultWorkload.insertSessions(c, 500);
      assertThat(FinalStateCheck.await(reader, c, Set.of(), Duration.ofSeconds(60))).isEmpty();
      assertThat(bridge.ready()).isTrue();
      FaultWorkload workload = new FaultWorkload(h::connect, ids.subList(0, 150), 30L, 2_000)
          .start();
      Thread.sleep(2_000);
      String slot = source == SourceMode.WAL ? h.slotName() : null;
      if (slot != null) {
        ListenerTerminationIT.awaitActiveSlot(c, slot);
      }
      double catchUpBefore = bridge.metrics().catchup().count();

      broker.kill();
      long downAt = System.nanoTime();
      long commitsAtKill = workload.commits();
      // nothing committed after this can have been acknowledged
      long walAtKill = SourceBackend.currentLsn(c);
      long confirmedDuringOutage = -1;
      long notReadyAt = 0;
      while (System.nanoTime() - downAt < TimeUnit.MILLISECONDS.toNanos(OUTAGE_MS)) {
        assertThat(bridge.failure()).as("failure during the outage").isNull();
        assertThat(bridge.state().role()).isEqualTo(Role.LEADER);
        if (notReadyAt == 0 && !bridge.ready()) {
          notReadyAt = System.nanoTime();
        }
        if (slot != null) {
          confirmedDuringOutage = Math.max(confirmedDuringOutage,
              SourceBackend.slot(c, slot).confirmedFlushLsn());
        }
        Thread.sleep(100);
      }
      Map<String, Object> during = bridge.status();
      assertThat(workload.commits()).as("the writer wrote during the outage")
          .isGreaterThan(commitsAtKill + 50);
      long restartAt = System.nanoTime();
      broker.start();
      long brokerUpAt = System.nanoTime();
      workload.pause();
      double checkpointsBefore = bridge.metrics().checkpoints().count();

      long readyAt = awaitReady(bridge, Duration.ofSeconds(60));
      List<String> mismatches = FinalStateCheck.await(reader, c, workload.deleted(),
          Duration.ofSeconds(90));
      long equalAt = System.nanoTime();
      long checkpointAt = awaitCheckpointAfter(bridge, checkpointsBefore,
          Duration.ofSeconds(30));
      log.info("{}: Kafka outage {} ms: not ready after {} ms; at the end of the outage {} dirty,"
              + " {} in flight, {} outstanding records; broker start took {} ms; broker up ->"
              + " ready {} ms, -> final state equal {} ms, -> new checkpoint {} ms; {}; {} records"
              + " on the topic, {} Kafka errors counted",
          source.value(), ms(restartAt - downAt), notReadyAt == 0 ? -1 : ms(notReadyAt - downAt),
          during.get("dirtySessions"), during.get("inFlightSessions"),
          during.get("outstandingRecords"), ms(brokerUpAt - restartAt),
          ms(readyAt - brokerUpAt), ms(equalAt - brokerUpAt), ms(checkpointAt - brokerUpAt),
          workload.report(), reader.all().size(), kafkaErrors(bridge));
      assertThat(notReadyAt).as("reported not ready while Kafka was down").isPositive();
      assertThat(mismatches).isEmpty();
      assertThat(bridge.failure()).isNull();
      if (slot != null) {
        log.info("wal: the slot confirmed at most {} during the outage, WAL was at {} when the"
            + " broker died", confirmedDuringOutage, walAtKill);
        assertThat(confirmedDuringOutage).as("confirmed_flush_lsn of %s while Kafka was down,"
            + " against the WAL position when it died", slot).isLessThanOrEqualTo(walAtKill);
        awaitConfirmedPast(c, slot, walAtKill, Duration.ofSeconds(30));
        assertThat(bridge.metrics().catchup().count() - catchUpBefore)
            .as("sessions caught up from the tables: none, the stream never broke").isZero();
      }

      long resumedAt = workload.commits();
      workload.resume();
      workload.awaitCommitsAfter(resumedAt, 50, Duration.ofSeconds(30));
      workload.stop();
      assertThat(FinalStateCheck.await(reader, c, workload.deleted(), Duration.ofSeconds(30)))
          .isEmpty();
      assertThat(bridge.ready()).isTrue();
    } finally {
      bridge.stop();
      ListenerTerminationIT.dropSlots(h, source);
    }
    assertThat(bridge.failure()).isNull();
  }

  /** WAL: the slot's confirmed position passes {@code lsn} once Kafka acknowledges again. */
  private static void awaitConfirmedPast(Connection c, String slot, long lsn, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (SourceBackend.slot(c, slot).confirmedFlushLsn() <= lsn
        && System.nanoTime() - deadline < 0) {
      Thread.sleep(50);
    }
    assertThat(SourceBackend.slot(c, slot).confirmedFlushLsn())
        .as("confirmed_flush_lsn of %s after the broker came back", slot).isGreaterThan(lsn);
  }

  private static long awaitReady(Bridge bridge, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!bridge.ready() && System.nanoTime() - deadline < 0) {
      Thread.sleep(20);
    }
    assertThat(bridge.ready()).as("ready again after the broker came back").isTrue();
    return System.nanoTime();
  }

  private static long awaitCheckpointAfter(Bridge bridge, double before, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (bridge.metrics().checkpoints().count() <= before
        && System.nanoTime() - deadline < 0) {
      Thread.sleep(20);
    }
    assertThat(bridge.metrics().checkpoints().count()).as("checkpoints after the outage")
        .isGreaterThan(before);
    return System.nanoTime();
  }

  private static double kafkaErrors(Bridge bridge) {
    return bridge.metrics().registry().find("pgbridge.errors").counters().stream()
        .filter(counter -> String.valueOf(counter.getId().getTag("kind")).startsWith("kafka"))
        .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
  }
}
