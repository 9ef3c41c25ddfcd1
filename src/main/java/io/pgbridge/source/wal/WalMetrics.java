package io.pgbridge.source.wal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.ChangeSources.Op;
import io.pgbridge.metrics.BridgeMetrics;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * The WAL source's meters, on the bridge's registry with {@link BridgeMetrics}' common tags:
 * {@code pgbridge_wal_changes_total{table,op}}
 * (decoded row changes of our tables; op INSERT, UPDATE, DELETE or TRUNCATE),
 * {@code pgbridge_wal_slot_lag_bytes} and {@code pgbridge_wal_retained_bytes} (read by the
 * probe), {@code pgbridge_wal_confirmed_lsn_age_seconds} and
 * {@code pgbridge_wal_slot_recreated_total{reason}}; every labelled counter exists at 0, and
 * so do the error kinds this source counts. Gauges read values the source sets. Thread-safe.
 */
public final class WalMetrics {

  /** The {@code reason} values of {@code pgbridge_wal_slot_recreated_total}. */
  public static final List<String> LOSS_REASONS = List.of("dropped", "invalidated");
  /** The error kinds this source counts on {@code pgbridge_errors_total}. */
  public static final String UNROUTED = "wal_unrouted";
  public static final String SYNC_STANDBY = "wal_sync_standby";
  public static final List<String> ERROR_KINDS =
      List.of(WalProtocolException.KIND, UNROUTED, SYNC_STANDBY);
  static final String TRUNCATE = "TRUNCATE";

  private final BridgeMetrics bridge;
  private final Map<String, Counter> changes = new HashMap<>();
  private final Map<String, Counter> recreated = new HashMap<>();
  private volatile double lagBytes = Double.NaN;
  private volatile double retainedBytes = Double.NaN;
  private volatile DoubleSupplier confirmedAge = () -> 0;

  public WalMetrics(BridgeMetrics bridge, ChangeSources sources) {
    this.bridge = bridge;
    MeterRegistry registry = bridge.registry();
    Tags tags = bridge.tags();
    for (String table : sources.tables()) {
      for (Op op : Op.values()) {
        changes.put(table + ':' + op.name(), changeCounter(registry, tags, table, op.name()));
      }
      changes.put(table + ':' + TRUNCATE, changeCounter(registry, tags, table, TRUNCATE));
    }
    for (String reason : LOSS_REASONS) {
      recreated.put(reason, Counter.builder("pgbridge.wal.slot.recreated")
          .description("Replication slots found lost (dropped or invalidated) and created again")
          .tags(tags).tag("reason", reason).register(registry));
    }
    for (String kind : ERROR_KINDS) {
      // the same meter as BridgeMetrics.error(kind) creates: registered here at 0
      Counter.builder("pgbridge.errors").description("Errors by kind").tags(tags)
          .tag("kind", kind).register(registry);
    }
    Gauge.builder("pgbridge.wal.slot.lag.bytes", this, m -> m.lagBytes)
        .description("Bytes of WAL written past the slot's confirmed flush position")
        .tags(tags).strongReference(true).register(registry);
    Gauge.builder("pgbridge.wal.retained.bytes", this, m -> m.retainedBytes)
        .description("Bytes of WAL the slot keeps on the server (from its restart position)")
        .tags(tags).strongReference(true).register(registry);
    Gauge.builder("pgbridge.wal.confirmed.lsn.age.seconds", this,
            m -> m.confirmedAge.getAsDouble())
        .description("Seconds since the slot's confirmed position last advanced while changes"
            + " were owed past it (0 when nothing is owed)")
        .tags(tags).strongReference(true).register(registry);
  }

  private static Counter changeCounter(MeterRegistry registry, Tags tags, String table,
      String op) {
    return Counter.builder("pgbridge.wal.changes")
        .description("Row changes decoded from the replication stream, by table and operation")
        .tags(tags).tag("table", table).tag("op", op).register(registry);
  }

  /** A decoded change of {@code table} by {@code op} ({@link Op} name or TRUNCATE). */
  void change(String table, String op) {
    Counter c = changes.get(table + ':' + op);
    if (c != null) {
      c.increment();
    }
  }

  void recreated(String reason) {
    recreated.get(reason).increment();
  }

  double recreatedCount(String reason) {
    return recreated.get(reason).count();
  }

  void error(String kind) {
    bridge.error(kind);
  }

  void slotPositions(double lag, double retained) {
    lagBytes = lag;
    retainedBytes = retained;
  }

  void confirmedAge(DoubleSupplier age) {
    confirmedAge = age;
  }

  BridgeMetrics bridge() {
    return bridge;
  }
}
