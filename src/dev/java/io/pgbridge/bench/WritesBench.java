package io.pgbridge.bench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code pgbridge bench writes}: what pgbridge costs the application's writers. Seed-shaped
 * transactions (2-4 child rows and a raw_state refresh, one transaction per burst) for
 * {@code --seconds} per run (or a fixed {@code --transactions}) at 1, 8, 32 and 64 concurrent
 * writers, each on its own sessions, on one database
 * per {@link WriteVariant} ({@code bare}, {@code notify}, {@code wal}, and the stand-in readers
 * {@code wal-drain} and {@code notify-listen}), all on one server. Without
 * {@code --database-url} the server is a {@link io.pgbridge.embedded.DurablePostgres} with
 * {@code fsync} on (or off, {@code --fsync on,off} runs both one after the other): a commit's
 * WAL flush is what NOTIFY's commit lock serialises, and a server with fsync off hides it.
 *
 * <p>Each round runs every writer count once per variant, variants interleaved (the order
 * reversed every other time), {@code --rounds} times. Reported per writer count: the best
 * round of each variant (the least disturbed on a shared machine) and the ratios of the
 * best rounds to {@code bare}; and, because load drifts over minutes, the ratios within each
 * round (adjacent runs) as median and range. Load averages are printed with every run.
 *
 * <p>Every run starts its reader, writes for {@code --warmup} seconds (default 5; 0: none)
 * unmeasured, waits until the reader has caught up, and only then measures: a bridge runs for
 * days, so what it costs writers is its steady state, not the first seconds of a fresh
 * instance, in which the JIT compiles (and, after another variant ran in the same JVM,
 * recompiles) its code on the writers' cores. The warm-up writes to every variant alike.
 */
final class WritesBench {

  private static final String DEFAULT_VARIANTS = "bare,notify,wal";
  private static final long SETTLE_MS = 1_000;

  private WritesBench() {}

  static int run(BenchArgs a, PrintStream out) throws Exception {
    int seconds = a.getInt("seconds", 10);
    int warmup = a.getInt("warmup", 5);
    if (warmup < 0) {
      throw new IllegalArgumentException("--warmup must be 0 or more seconds, not " + warmup);
    }
    int transactions = a.getInt("transactions", 0);
    int rounds = a.getInt("rounds", 3);
    List<Integer> writerCounts = new ArrayList<>();
    for (String w : a.get("writers", "1,8,32,64").split(",")) {
      writerCounts.add(Integer.parseInt(w.strip()));
    }
    List<String> variants = new ArrayList<>();
    for (String v : a.get("variants", DEFAULT_VARIANTS).split(",")) {
      if (!WriteVariant.NAMES.contains(v.strip())) {
        throw new IllegalArgumentException("--variants: unknown " + v + " (" + WriteVariant.NAMES
            + ")");
      }
      variants.add(v.strip());
    }
    if (!variants.contains("bare")) {
      throw new IllegalArgumentException("--variants must include bare, the baseline");
    }
    List<Boolean> fsyncs = new ArrayList<>();
    for (String f : a.get("fsync", "on").split(",")) {
      switch (f.strip()) {
        case "on" -> fsyncs.add(true);
        case "off" -> fsyncs.add(false);
        default -> throw new IllegalArgumentException("--fsync: on, off or on,off, not " + f);
      }
    }
    if (a.get("database-url", null) != null && fsyncs.size() > 1) {
      throw new IllegalArgumentException("--fsync on,off needs the durable server started here,"
          + " not --database-url");
    }
    int sessions = a.getInt("sessions", 2000);
    Path outDir = Path.of(a.get("out", "target/bench"));
    Files.createDirectories(outDir);
    StringBuilder md = new StringBuilder();
    for (boolean fsync : fsyncs) {
      md.append(measure(a, fsync, variants, writerCounts, seconds, warmup, transactions, rounds,
          sessions, out));
      md.append('\n');
    }
    out.println();
    out.println(md);
    Files.writeString(outDir.resolve("writer-cost.md"), md.toString());
    return 0;
  }

  private static String measure(BenchArgs a, boolean fsync, List<String> variants,
      List<Integer> writerCounts, int seconds, int warmup, int transactions, int rounds,
      int sessions, PrintStream out) throws Exception {
    String loadBefore = CompareBench.loadAverage();
    Map<String, double[][]> tps = new LinkedHashMap<>(); // variant -> [writer][round]
    List<String> loads = new ArrayList<>();
    List<Double> others = new ArrayList<>();
    String server;
    Map<String, String> descriptions = new LinkedHashMap<>();
    try (BenchInfra infra = BenchInfra.openDurable(a, fsync)) {
      server = infra.describeServer();
      out.println("server: " + server);
      HostCpu cpu = new HostCpu(infra.serverPid());
      List<WriteVariant> opened = new ArrayList<>();
      try {
        for (String v : variants) {
          WriteVariant variant = WriteVariant.of(v, infra);
          opened.add(variant);
          variant.prepare();
          try (Connection c = infra.connect(variant.database)) {
            new WorkloadWriter(new Workload("writes", sessions, sessions, 2048, 0, 0, 1),
                () -> null, 42).insertSessions(c);
          }
          descriptions.put(v, variant.describe());
          tps.put(v, new double[writerCounts.size()][rounds]);
        }
        for (int round = 0; round < rounds; round++) {
          for (int wi = 0; wi < writerCounts.size(); wi++) {
            List<WriteVariant> order = new ArrayList<>(opened);
            if ((round + wi) % 2 == 1) {
              Collections.reverse(order);
            }
            for (WriteVariant v : order) {
              v.beforeRun();
              if (warmup > 0) {
                // another seed than the measured run's, the same for every variant
                runOnce(infra, v.database, writerCounts.get(wi), warmup, 0, sessions,
                    rounds + round);
                v.caughtUp();
                // the same pause before every variant's measured run, whatever its reader took
                Thread.sleep(SETTLE_MS);
              }
              HostCpu.Sample before = cpu.sample();
              double t = runOnce(infra, v.database, writerCounts.get(wi), seconds,
                  transactions, sessions, round);
              HostCpu.Sample after = cpu.sample();
              String load = CompareBench.loadAverage();
              loads.add(load);
              double otherCores = HostCpu.othersCores(before, after);
              others.add(otherCores);
              String read = v.afterRun();
              out.printf(Locale.ROOT, "fsync %s, round %d, %2d writers, %-13s %8.0f tx/s"
                  + " (load %s; host busy %.2f cores, others %.2f)%s%n", fsync ? "on" : "off",
                  round, writerCounts.get(wi), v.name, t, load,
                  HostCpu.hostCores(before, after), otherCores,
                  read.isEmpty() ? "" : "; " + read);
              tps.get(v.name)[wi][round] = t;
            }
          }
        }
      } finally {
        for (WriteVariant v : opened) {
          v.close();
        }
      }
    }
    String size = (transactions > 0 ? transactions + " transactions per run"
        : seconds + " s per run") + (warmup > 0 ? ", each after " + warmup + " s of unmeasured"
        + " writes and the reader caught up" : ", no warm-up");
    return table(server, descriptions, tps, writerCounts, size, rounds, loadBefore, loads,
        others);
  }

  private static String table(String server, Map<String, String> descriptions,
      Map<String, double[][]> tps, List<Integer> writerCounts, String size, int rounds,
      String loadBefore, List<String> loads, List<Double> otherCores) {
    List<String> others = new ArrayList<>(tps.keySet());
    others.remove("bare");
    StringBuilder md = new StringBuilder();
    md.append("Server: ").append(server).append("\n\n| writers | bare tx/s |");
    for (String v : others) {
      md.append(' ').append(v).append(" tx/s |");
    }
    for (String v : others) {
      md.append(' ').append(v).append(" / bare |");
    }
    List<String[]> pairs = pairs(others);
    for (String[] p : pairs) {
      md.append(' ').append(p[0]).append(" / ").append(p[1]).append(" |");
    }
    md.append("\n|--:|--:|");
    md.append("--:|".repeat(others.size() * 2 + pairs.size())).append('\n');
    for (int wi = 0; wi < writerCounts.size(); wi++) {
      double bare = max(tps.get("bare")[wi]);
      md.append(String.format(Locale.ROOT, "| %d | %.0f |", writerCounts.get(wi), bare));
      for (String v : others) {
        md.append(String.format(Locale.ROOT, " %.0f |", max(tps.get(v)[wi])));
      }
      for (String v : others) {
        md.append(' ').append(ratios(tps.get(v)[wi], tps.get("bare")[wi])).append(" |");
      }
      for (String[] p : pairs) {
        md.append(' ').append(ratios(tps.get(p[0])[wi], tps.get(p[1])[wi])).append(" |");
      }
      md.append('\n');
    }
    md.append(String.format(Locale.ROOT, "%n%s, transactions of 2-4 child rows + one"
        + " raw_state refresh (~2 KB), every writer on its own sessions; variants interleaved,"
        + " %d rounds. tx/s: best round. Ratios: of the best rounds, then [median, min-max of"
        + " the ratio within each round]. Load average %s before, 1-minute load %s after the"
        + " runs (the benchmark's own writers and backends count in it); CPU used by other"
        + " processes than the benchmark and its server during the runs: %s of %d cores.%n%n",
        size, rounds, loadBefore, loadRange(loads), spread(otherCores),
        Runtime.getRuntime().availableProcessors()));
    descriptions.forEach((v, d) -> md.append("- `").append(v).append("`: ").append(d)
        .append('\n'));
    return md.toString();
  }

  /** The WAL variants against the NOTIFY ones: the comparisons the targets name. */
  private static List<String[]> pairs(List<String> others) {
    List<String[]> out = new ArrayList<>();
    for (String wal : List.of("wal", "wal-drain")) {
      for (String notify : List.of("notify", "notify-listen")) {
        if (others.contains(wal) && others.contains(notify)) {
          out.add(new String[] {wal, notify});
        }
      }
    }
    return out;
  }

  /** "best/best [median, min-max]" of per-round ratios. */
  static String ratios(double[] a, double[] b) {
    double[] r = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      r[i] = a[i] / b[i];
    }
    double[] sorted = r.clone();
    Arrays.sort(sorted);
    double median = sorted.length % 2 == 1 ? sorted[sorted.length / 2]
        : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    return String.format(Locale.ROOT, "%.2f [%.2f, %.2f-%.2f]", max(a) / max(b), median,
        sorted[0], sorted[sorted.length - 1]);
  }

  private static double max(double[] v) {
    return Arrays.stream(v).max().orElse(0);
  }

  /** "median (min-max)" of the known values. */
  private static String spread(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).filter(d -> d >= 0).sorted()
        .toArray();
    if (v.length == 0) {
      return "unknown";
    }
    return String.format(Locale.ROOT, "median %.2f (%.2f-%.2f)", v[v.length / 2], v[0],
        v[v.length - 1]);
  }

  private static String loadRange(List<String> loads) {
    double lo = Double.MAX_VALUE;
    double hi = 0;
    for (String l : loads) {
      try {
        double one = Double.parseDouble(l.split(" ")[0]);
        lo = Math.min(lo, one);
        hi = Math.max(hi, one);
      } catch (NumberFormatException e) {
        return "?";
      }
    }
    return loads.isEmpty() ? "?" : String.format(Locale.ROOT, "%.2f-%.2f", lo, hi);
  }

  /**
   * Runs {@code writers} threads for {@code seconds} (or until {@code transactions} committed,
   * when positive); returns committed transactions per second.
   */
  private static double runOnce(BenchInfra infra, String db, int writers, int seconds,
      int transactions, int sessions, int round) throws Exception {
    AtomicInteger left = new AtomicInteger(transactions > 0 ? transactions : Integer.MAX_VALUE);
    AtomicLong committed = new AtomicLong();
    long deadline = transactions > 0 ? Long.MAX_VALUE
        : System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    List<Thread> threads = new ArrayList<>();
    List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    WorkloadWriter ids = new WorkloadWriter(new Workload("writes", sessions, sessions, 2048, 0, 0,
        1), () -> null, 42);
    String filler = "x".repeat(1800);
    long start = System.nanoTime();
    for (int w = 0; w < writers; w++) {
      int writer = w;
      Thread t = new Thread(() -> {
        SplittableRandom r = new SplittableRandom(round * 1000L + writer);
        try (Connection c = CompareBench.connect(infra, db, "bench-writer")) {
          c.setAutoCommit(false);
          PreparedStatement todo = c.prepareStatement(
              "INSERT INTO generation_todos (session_id, content) VALUES (?, ?)");
          PreparedStatement tool = c.prepareStatement(
              "INSERT INTO generation_tool_calls (session_id, tool_name) VALUES (?, 'read_file')");
          PreparedStatement note = c.prepareStatement(
              "INSERT INTO generation_notes (session_id, body) VALUES (?, 'note')");
          PreparedStatement refresh = c.prepareStatement("UPDATE generation_sessions"
              + " SET raw_state = ?::jsonb, updated_at = now() WHERE id = ?");
          int n = 0;
          while (left.getAndDecrement() > 0 && System.nanoTime() < deadline) {
            // each writer owns sessions writer, writer+writers, ...: no row-lock waits
            int span = Math.max(1, sessions / writers);
            UUID id = ids.ids[(writer + writers * r.nextInt(span)) % sessions];
            int rows = 2 + r.nextInt(3);
            for (int k = 0; k < rows; k++) {
              PreparedStatement ps = switch (k % 3) {
                case 0 -> todo;
                case 1 -> tool;
                default -> note;
              };
              ps.setObject(1, id);
              if (ps == todo) {
                ps.setString(2, "todo " + k);
              }
              ps.executeUpdate();
            }
            refresh.setString(1, "{\"step\":" + (n++) + ",\"log\":\"" + filler + "\"}");
            refresh.setObject(2, id);
            refresh.executeUpdate();
            c.commit();
            committed.incrementAndGet();
          }
        } catch (Throwable e) {
          errors.add(e);
        }
      }, "bench-writer-" + w);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    if (!errors.isEmpty()) {
      throw new IllegalStateException("writer failed", errors.get(0));
    }
    return committed.get() / elapsed;
  }
}
