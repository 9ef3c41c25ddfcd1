package io.pgbridge.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.testing.TestInfra;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pgbridge bench compare} end to end, small and short (pgbridge, the seed peer and
 * pgbridge reading the WAL; Debezium is left to the real benchmark to keep CI fast), on the
 * shared test servers: the report has numbers and pgbridge's final-state check passes.
 */
class BenchSmokeIT {

  @Test
  @Timeout(180)
  void compareReportsNumbersAndPgbridgeEndsOnTheDatabaseState(@TempDir Path out)
      throws Exception {
    TestInfra.Postgres pg = TestInfra.postgres();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    List<String> args = List.of("--sessions", "10", "--seconds", "8", "--warmup", "2",
        "--drain-seconds", "10", "--peers", "pgbridge-100,seed",
        "--database-url", pg.jdbcUrl(), "--database-user", pg.user(),
        "--database-password", pg.password(), "--kafka", TestInfra.kafkaBootstrap(),
        "--out", out.toString());
    List<PeerResult> results = CompareBench.compare(new BenchArgs(args, Set.of("sessions",
        "seconds", "warmup", "drain-seconds", "peers", "database-url", "database-user",
        "database-password", "kafka", "out"), Set.of()),
        new PrintStream(log, true, StandardCharsets.UTF_8));

    assertThat(results).extracting(PeerResult::peer).containsExactly("pgbridge-100", "seed");
    PeerResult bridge = results.get(0);
    assertThat(bridge.rowChanges()).isPositive();
    assertThat(bridge.records()).isPositive();
    assertThat(bridge.notificationsPerSec()).isPositive();
    assertThat(bridge.lagSamples()).isPositive();
    assertThat(bridge.lagP50Ms()).isPositive();
    assertThat(bridge.lagP99Ms()).isGreaterThanOrEqualTo(bridge.lagP50Ms());
    assertThat(bridge.jvmCpuMsPer1000Records()).isPositive();
    assertThat(bridge.sessionsChecked()).isEqualTo(10);
    assertThat(bridge.finalStateOk()).as(log.toString(StandardCharsets.UTF_8)).isTrue();
    PeerResult seed = results.get(1);
    assertThat(seed.rowChanges()).isPositive();
    assertThat(seed.notificationsPerSec()).isPositive();
    assertThat(Files.readString(out.resolve("compare-seed.md"))).contains("| pgbridge-100 |");
    assertThat(Files.readString(out.resolve("compare-seed-lag.svg"))).startsWith("<svg");
  }

  @Test
  @Timeout(180)
  void theWalPeerReadsTheSlotEndsOnTheDatabaseStateAndDropsItsSlot(@TempDir Path out)
      throws Exception {
    TestInfra.Postgres pg = TestInfra.postgres();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    List<String> args = List.of("--sessions", "10", "--seconds", "5", "--warmup", "2",
        "--drain-seconds", "10", "--peers", "pgbridge-wal",
        "--database-url", pg.jdbcUrl(), "--database-user", pg.user(),
        "--database-password", pg.password(), "--kafka", TestInfra.kafkaBootstrap(),
        "--out", out.toString());
    List<PeerResult> results = CompareBench.compare(new BenchArgs(args, Set.of("sessions",
        "seconds", "warmup", "drain-seconds", "peers", "database-url", "database-user",
        "database-password", "kafka", "out"), Set.of()),
        new PrintStream(log, true, StandardCharsets.UTF_8));

    PeerResult wal = results.get(0);
    assertThat(wal.peer()).isEqualTo("pgbridge-wal");
    assertThat(wal.records()).isPositive();
    assertThat(wal.notificationsPerSec()).as("decoded row changes per second").isPositive();
    assertThat(wal.finalStateOk()).as(log.toString(StandardCharsets.UTF_8)).isTrue();
    try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        PreparedStatement ps = c.prepareStatement(
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, BridgePeer.slotName("bench_pgbridge_wal"));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        assertThat(rs.getInt(1)).as("slot left behind").isZero();
      }
    }
  }
}
