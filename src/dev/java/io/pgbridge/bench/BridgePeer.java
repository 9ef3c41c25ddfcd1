package io.pgbridge.bench;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgbridge.Bridge;
import io.pgbridge.config.BridgeConfig;
import io.pgbridge.config.ConfigLoader;
import io.pgbridge.source.SourceMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * pgbridge itself, in process, with production defaults except what the peer's name sets:
 * {@code pgbridge-<debounce ms>} optionally followed by {@code -leading} or {@code -trailing}
 * ({@code debounce.mode}), {@code -linger<ms>} ({@code kafka.linger.ms}),
 * {@code -batch<bytes>} ({@code kafka.batch.size}) and {@code -wal} ({@code source.mode=wal}:
 * the database is migrated for the WAL source, the slot is named after the database and
 * dropped when the peer closes); {@code pgbridge-wal} is {@code pgbridge-0-wal}. Besides the consumer's view, it reports the
 * bridge's own notification-to-acknowledgement lag over the measured window, read from the
 * {@code pgbridge.lag.notification.to.ack} histogram with 0.5 ms buckets (given to this
 * benchmark registry only), and the same for each stage (notification to fetch, fetch,
 * produce) in its notes.
 */
final class BridgePeer implements Peer {

  private static final String ACK_LAG = "pgbridge.lag.notification.to.ack";

  private final String name;
  private final int debounceMs;
  private final Map<String, String> options;
  private final Map<String, String> settings = new HashMap<>();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private static final List<String> STAGES = List.of("pgbridge.lag.notification.to.fetch",
      "pgbridge.fetch.duration", "pgbridge.produce.duration");

  private Bridge bridge;
  private BenchInfra infra;
  private String database;
  private CountAtBucket[] atWindowOpen;
  private double[] windowLag;
  private final Map<String, CountAtBucket[]> stagesAtOpen = new HashMap<>();
  private String stages = "";

  private BridgePeer(String name, int debounceMs, Map<String, String> options) {
    this.name = name;
    this.debounceMs = debounceMs;
    this.options = options;
    registry.config().meterFilter(new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id,
          DistributionStatisticConfig config) {
        if (!id.getName().equals(ACK_LAG) && !STAGES.contains(id.getName())) {
          return config;
        }
        return DistributionStatisticConfig.builder().serviceLevelObjectives(fineBuckets())
            .build().merge(config);
      }
    });
  }

  /** Parses {@code pgbridge-100}, {@code pgbridge-100-trailing-linger5}, ... */
  static BridgePeer parse(String name) {
    String spec = name.equals("pgbridge-wal") ? "0-wal" : name.substring("pgbridge-".length());
    String[] parts = spec.split("-");
    int debounce;
    try {
      debounce = Integer.parseInt(parts[0]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("peer " + name + ": pgbridge-<debounce ms>[-...]");
    }
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i];
      if (p.equals("leading") || p.equals("trailing")) {
        options.put("debounce.mode", p);
      } else if (p.startsWith("linger") && p.length() > 6) {
        options.put("kafka.linger.ms", Integer.toString(Integer.parseInt(p.substring(6))));
      } else if (p.startsWith("batch") && p.length() > 5) {
        options.put("kafka.batch.size", Integer.toString(Integer.parseInt(p.substring(5))));
      } else if (p.equals("wal")) {
        options.put(BridgeConfig.SOURCE_MODE_CONFIG, SourceMode.WAL.value());
      } else {
        throw new IllegalArgumentException("peer " + name + ": unknown option '" + p
            + "' (leading, trailing, linger<ms>, batch<bytes>, wal)");
      }
    }
    return new BridgePeer(name, debounce, options);
  }

  @Override
  public String name() {
    return name;
  }

  /** The source this peer's bridge reads. */
  SourceMode sourceMode() {
    return SourceMode.of(options.getOrDefault(BridgeConfig.SOURCE_MODE_CONFIG, "notify"));
  }

  /**
   * The replication slot of a WAL peer on {@code database}, named after it: slots are
   * server-wide, so two benchmark databases never share one.
   */
  static String slotName(String database) {
    return database.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
  }

  /**
   * Points the bridge at {@code database}; a WAL peer first migrates it for the WAL source
   * (which drops the NOTIFY objects) unless {@code migrated} says it already is.
   */
  @Override
  public void prepare(BenchInfra infra, String database, String topic) throws Exception {
    prepare(infra, database, topic, false);
  }

  void prepare(BenchInfra infra, String database, String topic, boolean migrated)
      throws Exception {
    this.infra = infra;
    this.database = database;
    if (sourceMode() == SourceMode.WAL) {
      if (!migrated) {
        infra.migrate(database, SourceMode.WAL);
      }
      settings.put(BridgeConfig.WAL_SLOT_NAME_CONFIG, slotName(database));
      settings.put(BridgeConfig.WAL_PUBLICATION_NAME_CONFIG, BenchInfra.PUBLICATION);
    }
    settings.put(BridgeConfig.DATABASE_URL_CONFIG, infra.url(database));
    settings.put(BridgeConfig.DATABASE_USER_CONFIG, infra.user());
    settings.put(BridgeConfig.DATABASE_PASSWORD_CONFIG, infra.password());
    settings.put(BridgeConfig.KAFKA_BOOTSTRAP_SERVERS_CONFIG, infra.bootstrap());
    settings.put(BridgeConfig.TOPIC_CONFIG, topic);
    settings.put(BridgeConfig.HTTP_PORT_CONFIG, "-1");
    settings.put(BridgeConfig.DEBOUNCE_MS_CONFIG, Integer.toString(debounceMs));
    settings.put(BridgeConfig.DEBOUNCE_MAX_MS_CONFIG, Integer.toString(Math.max(1000, debounceMs)));
    // the sessions exist before the peer starts; like the other peers, publish changes only
    settings.put(BridgeConfig.CATCHUP_INITIAL_CONFIG, "none");
    settings.put(BridgeConfig.BRIDGE_ID_CONFIG, "bench");
    settings.putAll(options);
  }

  @Override
  public void start() throws Exception {
    bridge = new Bridge(ConfigLoader.fromMap(settings), registry);
    bridge.start();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!(bridge.state().connected() && bridge.state().leader() && bridge.state().caughtUp())) {
      if (System.nanoTime() > deadline || bridge.failure() != null) {
        throw new IllegalStateException("pgbridge did not become ready: " + bridge.failure());
      }
      Thread.sleep(20);
    }
    if (sourceMode() == SourceMode.WAL && !slotActive()) {
      throw new IllegalStateException("pgbridge started with source.mode=wal but slot "
          + slotName(database) + " is not active: this build's bridge does not read the WAL");
    }
  }

  /** Whether the peer's slot exists and a walsender streams from it. */
  boolean slotActive() throws Exception {
    try (Connection c = infra.connect(database); PreparedStatement ps = c.prepareStatement(
        "SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slotName(database));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /**
   * Row-change notifications (NOTIFY) or decoded row changes (WAL) received so far. A WAL
   * bridge counts each change in both counters, so only its own is read.
   */
  @Override
  public long notifications() {
    return (long) count(sourceMode() == SourceMode.WAL ? "pgbridge.wal.changes"
        : "pgbridge.notifications.received");
  }

  /** Dirty plus in-flight sessions of the running bridge. */
  int pendingSessions() {
    return bridge == null ? 0 : bridge.pendingSessions();
  }

  private double count(String meter) {
    return registry.find(meter).counters().stream().mapToDouble(Counter::count).sum();
  }

  @Override
  public void windowOpened() {
    atWindowOpen = buckets(ACK_LAG);
    STAGES.forEach(s -> stagesAtOpen.put(s, buckets(s)));
  }

  @Override
  public void windowClosed() {
    windowLag = windowQuantiles(atWindowOpen, buckets(ACK_LAG));
    StringBuilder sb = new StringBuilder();
    for (String stage : STAGES) {
      double[] q = windowQuantiles(stagesAtOpen.get(stage), buckets(stage));
      if (q != null) {
        sb.append(String.format(", %s p50/p95/p99 %.1f/%.1f/%.1f ms",
            stage.substring("pgbridge.".length()), q[0], q[1], q[2]));
      }
    }
    stages = sb.toString();
  }

  /** p50, p95 and p99 of what a histogram recorded between two snapshots; null if unknown. */
  private static double[] windowQuantiles(CountAtBucket[] before, CountAtBucket[] after) {
    if (before == null || after.length == 0 || after.length != before.length) {
      return null;
    }
    double[] bounds = new double[after.length];
    double[] counts = new double[after.length];
    for (int i = 0; i < after.length; i++) {
      bounds[i] = after[i].bucket(TimeUnit.MILLISECONDS);
      counts[i] = after[i].count() - before[i].count();
    }
    return new double[] {quantile(bounds, counts, 0.50), quantile(bounds, counts, 0.95),
        quantile(bounds, counts, 0.99)};
  }

  @Override
  public double[] ownAckLagMs() {
    return windowLag;
  }

  private CountAtBucket[] buckets(String name) {
    Timer t = registry.find(name).timer();
    return t == null ? new CountAtBucket[0] : t.takeSnapshot().histogramCounts();
  }

  /**
   * The {@code q} quantile from cumulative bucket counts, interpolated linearly inside the
   * bucket that holds it (as Prometheus' histogram_quantile does).
   */
  static double quantile(double[] bounds, double[] cumulative, double q) {
    int n = cumulative.length;
    if (n == 0 || cumulative[n - 1] <= 0) {
      return -1;
    }
    double rank = q * cumulative[n - 1];
    for (int i = 0; i < n; i++) {
      if (cumulative[i] >= rank) {
        double lower = i == 0 ? 0 : bounds[i - 1];
        double below = i == 0 ? 0 : cumulative[i - 1];
        double inBucket = cumulative[i] - below;
        return inBucket <= 0 ? bounds[i] : lower + (bounds[i] - lower) * (rank - below) / inBucket;
      }
    }
    return bounds[n - 1];
  }

  /** 0.5 ms up to 100 ms, 5 ms up to 1 s, 100 ms up to 60 s. */
  private static double[] fineBuckets() {
    List<Double> nanos = new ArrayList<>();
    for (double ms = 0.5; ms <= 100; ms += 0.5) {
      nanos.add(ms * 1e6);
    }
    for (double ms = 105; ms <= 1000; ms += 5) {
      nanos.add(ms * 1e6);
    }
    for (double ms = 1100; ms <= 60_000; ms += 100) {
      nanos.add(ms * 1e6);
    }
    return nanos.stream().mapToDouble(Double::doubleValue).toArray();
  }

  @Override
  public String notes() {
    double skipped = count("pgbridge.records.skipped");
    double published = count("pgbridge.records.published");
    return String.format("published %.0f, skipped as unchanged %.0f%s%s", published, skipped,
        stages, options.isEmpty() ? "" : ", settings " + options);
  }

  /** Stops the bridge; the slot stays (see {@link #dropSlot()}). */
  void stop() {
    if (bridge != null) {
      bridge.stop();
      bridge = null; // so that the heap it retained can be measured as freed
    }
  }

  /** A WAL peer's slot retains WAL until dropped; nothing for a NOTIFY peer. */
  void dropSlot() throws Exception {
    if (sourceMode() == SourceMode.WAL && infra != null) {
      infra.dropSlot(slotName(database));
    }
  }

  @Override
  public void close() throws Exception {
    stop();
    dropSlot();
  }
}
