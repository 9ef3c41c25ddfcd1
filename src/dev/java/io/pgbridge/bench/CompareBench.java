package io.pgbridge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * {@code pgbridge bench compare}: the same seeded workload against each peer in turn, each on a
 * fresh database and topic, on the same PostgreSQL server and Kafka broker. Per peer: warm-up,
 * a measured window of {@code --seconds}, writers stop, then a drain until every session's
 * last record equals the database (or {@code --drain-seconds} pass). Prints a table and writes
 * {@code compare-WORKLOAD.json}, {@code .md} and a lag chart {@code .svg} to {@code --out}.
 */
final class CompareBench {

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT);

  private CompareBench() {}

  static int run(BenchArgs a, PrintStream out) throws Exception {
    compare(a, out);
    return 0;
  }

  /** Runs every peer, prints and writes the report; returns the results. */
  static List<PeerResult> compare(BenchArgs a, PrintStream out) throws Exception {
    Workload w = Workload.of(a.get("workload", "seed"), a.getInt("sessions", 0),
        a.getInt("writers", 0));
    int seconds = a.getInt("seconds", 60);
    int warmup = a.getInt("warmup", 5);
    int drain = a.getInt("drain-seconds", 15);
    long seed = a.getInt("seed", 42);
    List<String> peers = List.of(a.get("peers", "pgbridge-0,pgbridge-100,seed,debezium")
        .split(","));
    Path outDir = Path.of(a.get("out", "target/bench"));
    Files.createDirectories(outDir);
    out.printf("workload %s: %d sessions (%d active), %d B state, bursts every %d-%d ms,"
        + " %d writers; %d s warm-up + %d s measured per peer; seed %d%n", w.name(),
        w.sessions(), w.active(), w.stateBytes(), w.minIntervalMs(), w.maxIntervalMs(),
        w.writers(), warmup, seconds, seed);
    List<PeerResult> results = new ArrayList<>();
    try (BenchInfra infra = BenchInfra.open(a)) {
      for (String p : peers) {
        PeerResult r = runPeer(infra, w, p.strip(), seconds, warmup, drain, seed, out);
        results.add(r);
        out.println(Report.row(r));
      }
    }
    out.println();
    String table = Report.markdown(results);
    out.println(table);
    String base = "compare-" + w.name();
    Files.writeString(outDir.resolve(base + ".md"), table);
    JSON.writeValue(outDir.resolve(base + ".json").toFile(), results);
    Path svg = Path.of(a.get("svg", outDir.resolve(base + "-lag.svg").toString()));
    Files.writeString(svg, LagChart.svg("Commit-to-consumer lag, workload " + w.name()
        + " (log scale)", results));
    out.println("wrote " + outDir.resolve(base + ".md") + ", .json and " + svg);
    return results;
  }

  static Peer peer(String name, BenchInfra infra) {
    return switch (name) {
      case "seed" -> new SeedPeer(infra);
      case "debezium" -> new DebeziumPeer(infra);
      default -> {
        if (!name.startsWith("pgbridge-")) {
          throw new IllegalArgumentException("unknown peer " + name
              + " (pgbridge-<debounce ms>[-leading|-trailing][-linger<ms>][-batch<bytes>][-wal],"
              + " pgbridge-wal, seed, debezium)");
        }
        yield BridgePeer.parse(name);
      }
    };
  }

  static Connection connect(BenchInfra infra, String database, String app) {
    try {
      Properties p = new Properties();
      p.setProperty("user", infra.user());
      p.setProperty("password", infra.password());
      p.setProperty("ApplicationName", app);
      return java.sql.DriverManager.getConnection(infra.url(database), p);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  static PeerResult runPeer(BenchInfra infra, Workload w, String name, int seconds, int warmup,
      int drainSeconds, long seed, PrintStream out) throws Exception {
    String load = loadAverage();
    String db = "bench_" + name.replace('-', '_');
    infra.freshDatabase(db);
    String topic = infra.newTopic("bench-" + name, 3);
    Peer peer = peer(name, infra);
    peer.prepare(infra, db, topic);
    WorkloadWriter writer = new WorkloadWriter(w, () -> connect(infra, db, "bench-writer"), seed);
    try (Connection c = connect(infra, db, "bench-setup")) {
      writer.insertSessions(c);
    }
    out.printf("[%s] %d sessions inserted; starting the peer%n", name, w.sessions());
    try (Connection check = connect(infra, db, "bench-check");
        Connection sampling = connect(infra, db, "bench-sampler")) {
      PeerMeter meter = new PeerMeter(sampling, db);
      peer.start();
      LagConsumer consumer = new LagConsumer(infra.bootstrap(), topic, writer.index,
          w.active());
      writer.start();
      TimeUnit.SECONDS.sleep(warmup);
      long rows0 = writer.rowChanges.get();
      long tx0 = writer.transactions.get();
      long records0 = consumer.records.get();
      long notif0 = peer.notifications();
      meter.openWindow();
      peer.windowOpened();
      long windowStart = System.nanoTime();
      TimeUnit.SECONDS.sleep(seconds);
      writer.stop();
      long writersStopped = System.nanoTime();
      peer.windowClosed();
      double[] ownLag = peer.ownAckLagMs();
      double measured = (writersStopped - windowStart) / 1e9;
      long rows = writer.rowChanges.get() - rows0;
      long tx = writer.transactions.get() - tx0;
      long notif = peer.notifications() - notif0;
      long recordsAtStop = consumer.records.get() - records0;
      out.printf("[%s] writers stopped: %d row changes, %d errors; draining%n", name, rows,
          writer.errors.get());
      Map<Integer, DbRow> dbRows = dbRows(check, writer);
      long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(drainSeconds);
      while (mismatches(dbRows, consumer) > 0 && System.nanoTime() < drainDeadline) {
        Thread.sleep(100);
      }
      double drained = (System.nanoTime() - writersStopped) / 1e9;
      meter.closeWindow();
      long records = consumer.records.get() - records0;
      long heapWith = PeerMeter.heapUsedAfterGc();
      String notes = peer.notes();
      peer.close();
      long heapWithout = PeerMeter.heapUsedAfterGc();
      consumer.close();
      int finalMismatches = finalMismatches(dbRows, consumer);
      long[] lags = lags(writer, consumer, windowStart, writersStopped);
      long neverSeen = lags[lags.length - 1];
      long[] sorted = Arrays.copyOf(lags, lags.length - 1);
      Arrays.sort(sorted);
      double cpuMs = meter.cpuNanos() / 1e6;
      long dbCpu = meter.dbCpuMillis();
      infra.deleteTopic(topic);
      return new PeerResult(name, w.name(), w.sessions(), round(measured, 1), rows,
          round(rows / measured, 0), round(tx / measured, 0),
          notif < 0 ? -1 : round(notif / measured, 0), records, round(recordsAtStop / measured, 0),
          round((double) records / rows, 3), sorted.length, pct(sorted, 50), pct(sorted, 95),
          pct(sorted, 99), sorted.length == 0 ? -1 : round(sorted[sorted.length - 1] / 1e6, 1),
          neverSeen, ownLag == null ? -1 : round(ownLag[0], 1),
          ownLag == null ? -1 : round(ownLag[1], 1), ownLag == null ? -1 : round(ownLag[2], 1),
          round(cpuMs * 1000 / Math.max(1, records), 1),
          dbCpu < 0 ? -1 : round(dbCpu * 1000.0 / Math.max(1, records), 1),
          round(meter.allocatedBytes() / 1e6 * 1000 / Math.max(1, records), 2),
          round((heapWith - heapWithout) / 1e6, 1), dbRows.size(), finalMismatches,
          finalMismatches == 0, round(drained, 1), load + " -> " + loadAverage(),
          meter.topThreads(), notes);
    }
  }

  private record DbRow(long version, String state) {}

  private static Map<Integer, DbRow> dbRows(Connection c, WorkloadWriter writer)
      throws SQLException {
    List<UUID> touched = new ArrayList<>();
    for (int s = 0; s < writer.commitCount.length; s++) {
      if (writer.commitCount[s] > 0) {
        touched.add(writer.ids[s]);
      }
    }
    Map<Integer, DbRow> out = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT id, state_version, raw_state::text"
        + " FROM generation_sessions WHERE id = ANY(?)")) {
      ps.setArray(1, c.createArrayOf("uuid", touched.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(writer.index.get(rs.getObject(1, UUID.class)),
              new DbRow(rs.getLong(2), rs.getString(3)));
        }
      }
    }
    return out;
  }

  private static int mismatches(Map<Integer, DbRow> db, LagConsumer consumer) {
    int n = 0;
    for (Map.Entry<Integer, DbRow> e : db.entrySet()) {
      if (consumer.lastVersion(e.getKey()) != e.getValue().version()) {
        n++;
      }
    }
    return n;
  }

  /** Sessions whose last record is not the database row (version and state compared). */
  private static int finalMismatches(Map<Integer, DbRow> db, LagConsumer consumer)
      throws Exception {
    int n = 0;
    for (Map.Entry<Integer, DbRow> e : db.entrySet()) {
      byte[] last = consumer.lastValue[e.getKey()];
      if (last == null) {
        n++;
        continue;
      }
      JsonNode env = JSON.readTree(last);
      if (env.get("version").asLong() != e.getValue().version()
          || !env.get("state").equals(JSON.readTree(e.getValue().state()))) {
        n++;
      }
    }
    return n;
  }

  /**
   * For every raw_state commit in the window, the time until the consumer first received a
   * record of that session with that version or a newer one (a coalesced record covers the
   * versions it supersedes). Last element: commits never covered.
   */
  static long[] lags(WorkloadWriter writer, LagConsumer consumer, long from, long to) {
    long[] out = new long[1024];
    int n = 0;
    long never = 0;
    for (int s = 0; s < writer.commitCount.length; s++) {
      long[] c = writer.commits[s];
      long[] r = consumer.receipts[s];
      int rc = consumer.receiptCount[s];
      int j = 0;
      long maxSeen = -1;
      long seenAt = 0;
      for (int i = 0; i < writer.commitCount[s]; i++) {
        long version = c[2 * i];
        long committed = c[2 * i + 1];
        while (maxSeen < version && j < rc) {
          if (r[2 * j] > maxSeen) {
            maxSeen = r[2 * j];
            seenAt = r[2 * j + 1];
          }
          j++;
        }
        if (committed < from || committed > to) {
          continue;
        }
        if (maxSeen < version) {
          never++;
          continue;
        }
        if (n == out.length) {
          out = Arrays.copyOf(out, n * 2);
        }
        out[n++] = Math.max(0, seenAt - committed);
      }
    }
    long[] result = Arrays.copyOf(out, n + 1);
    result[n] = never;
    return result;
  }

  private static double pct(long[] sorted, int p) {
    if (sorted.length == 0) {
      return -1;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return round(sorted[Math.max(0, Math.min(i, sorted.length - 1))] / 1e6, 1);
  }

  static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return "?";
    }
  }
}
