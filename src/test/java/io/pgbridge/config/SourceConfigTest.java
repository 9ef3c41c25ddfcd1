package io.pgbridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgbridge.source.SourceMode;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The source.mode and wal.* settings: defaults, validation and the derived slot name. */
class SourceConfigTest {

  private static Map<String, String> with(String... keyValues) {
    Map<String, String> m = new HashMap<>();
    m.put("database.url", "jdbc:postgresql://db:5432/app");
    m.put("kafka.bootstrap.servers", "broker:9092");
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put(keyValues[i], keyValues[i + 1]);
    }
    return m;
  }

  private static String problemsOf(String... keyValues) {
    ConfigProblems p = catchThrowableOfType(ConfigProblems.class,
        () -> ConfigLoader.fromMap(with(keyValues)));
    assertThat(p).as("expected a configuration problem").isNotNull();
    return String.join("\n", p.problems());
  }

  @Test
  void defaultsAreNotifyAndTheDerivedSlot() {
    BridgeConfig c = ConfigLoader.fromMap(with());
    assertThat(c.sourceMode()).isEqualTo(SourceMode.NOTIFY);
    assertThat(c.walSlotName()).isEqualTo(BridgeConfig.derivedSlotName("pgbridge"));
    assertThat(c.walPublicationName()).isEqualTo("pgbridge");
    assertThat(c.walStatusIntervalMs()).isEqualTo(1000);
    assertThat(c.walSlotFailover()).isFalse();
  }

  @Test
  void walSettingsAreReadAsGiven() {
    BridgeConfig c = ConfigLoader.fromMap(with("source.mode", "wal", "wal.slot.name", "orders_1",
        "wal.publication.name", "Orders", "wal.status.interval.ms", "250",
        "wal.slot.failover", "true"));
    assertThat(c.sourceMode()).isEqualTo(SourceMode.WAL);
    assertThat(c.walSlotName()).isEqualTo("orders_1");
    assertThat(c.walPublicationName()).isEqualTo("Orders");
    assertThat(c.walStatusIntervalMs()).isEqualTo(250);
    assertThat(c.walSlotFailover()).isTrue();
  }

  @Test
  void environmentSetsTheSourceMode() {
    BridgeConfig c = ConfigLoader.load(null, Map.of("PGBRIDGE_DATABASE_URL",
        "jdbc:postgresql://db/app", "PGBRIDGE_KAFKA_BOOTSTRAP_SERVERS", "b:9092",
        "PGBRIDGE_SOURCE_MODE", "wal", "PGBRIDGE_WAL_SLOT_NAME", "from_env"));
    assertThat(c.sourceMode()).isEqualTo(SourceMode.WAL);
    assertThat(c.walSlotName()).isEqualTo("from_env");
  }

  @Test
  void derivedSlotNameFollowsTheBridgeId() {
    BridgeConfig c = ConfigLoader.fromMap(with("bridge.id", "Orders.EU-1"));
    assertThat(c.walSlotName()).isEqualTo(BridgeConfig.derivedSlotName("Orders.EU-1"))
        .startsWith("pgbridge_orders_eu_1_");
  }

  @Test
  void unknownSourceModeIsRefused() {
    assertThat(problemsOf("source.mode", "logical")).contains("source.mode")
        .contains("notify").contains("wal");
  }

  @Test
  void invalidSlotNamesAreRefusedWithTheRule() {
    for (String bad : new String[] {"Upper", "with-dash", "dot.ted", "sp ace", "x".repeat(64)}) {
      assertThat(problemsOf("wal.slot.name", bad)).as(bad).contains("wal.slot.name")
          .contains("[a-z0-9_]");
    }
  }

  @Test
  void longestValidSlotNameIsAccepted() {
    String name = "a".repeat(63);
    assertThat(ConfigLoader.fromMap(with("wal.slot.name", name)).walSlotName()).isEqualTo(name);
  }

  @Test
  void invalidPublicationNameIsRefused() {
    assertThat(problemsOf("wal.publication.name", "pub; drop table x"))
        .contains("wal.publication.name").contains("SQL identifier");
    assertThat(problemsOf("wal.publication.name", "")).contains("wal.publication.name");
  }

  @Test
  void statusIntervalIsBounded() {
    assertThat(problemsOf("wal.status.interval.ms", "99")).contains("wal.status.interval.ms");
    assertThat(problemsOf("wal.status.interval.ms", "60001")).contains("wal.status.interval.ms");
    assertThat(ConfigLoader.fromMap(with("wal.status.interval.ms", "60000"))
        .walStatusIntervalMs()).isEqualTo(60000);
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    String problems = problemsOf("source.mode", "x", "wal.slot.name", "X",
        "wal.status.interval.ms", "5", "wal.slot.failover", "maybe");
    assertThat(problems).contains("source.mode").contains("wal.slot.name")
        .contains("wal.status.interval.ms").contains("wal.slot.failover");
  }

  // ---- the derivation ----

  @Test
  void derivedNameIsPrefixReadableIdAndHash() {
    // printf pgbridge | sha256sum: 1afe5476c697...
    assertThat(BridgeConfig.derivedSlotName("pgbridge")).isEqualTo("pgbridge_pgbridge_1afe5476");
  }

  @Test
  void derivedNameReplacesCharactersOutsideTheSlotAlphabet() {
    assertThat(BridgeConfig.derivedSlotName("Ab.c-D_9"))
        .isEqualTo("pgbridge_ab_c_d_9_" + sha256Prefix("Ab.c-D_9"));
  }

  @Test
  void idsThatReadTheSameGetDifferentSlots() {
    assertThat(BridgeConfig.derivedSlotName("a.b"))
        .isNotEqualTo(BridgeConfig.derivedSlotName("a-b"));
    assertThat(BridgeConfig.derivedSlotName("A")).isNotEqualTo(BridgeConfig.derivedSlotName("a"));
  }

  @Test
  void longIdsAreCutToFortyCharactersBeforeTheHash() {
    String id = "x".repeat(63);
    String name = BridgeConfig.derivedSlotName(id);
    assertThat(name).isEqualTo("pgbridge_" + "x".repeat(40) + "_" + sha256Prefix(id));
    assertThat(name).hasSize(58);
  }

  @Test
  void everyDerivedNameIsAValidSlotName() {
    for (String id : new String[] {"a", "pgbridge", "A.B-C", "9", "x".repeat(63), "a_b.c-d"}) {
      String name = BridgeConfig.derivedSlotName(id);
      assertThat(SlotNameValidator.LEGAL.matcher(name).matches()).as(name).isTrue();
      assertThat(ConfigLoader.fromMap(with("wal.slot.name", name)).walSlotName()).isEqualTo(name);
    }
  }

  private static String sha256Prefix(String s) {
    try {
      byte[] d = java.security.MessageDigest.getInstance("SHA-256")
          .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return String.format("%02x%02x%02x%02x", d[0], d[1], d[2], d[3]);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
