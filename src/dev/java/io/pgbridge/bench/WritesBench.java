package io.pgbridge.bench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.postgresql.PGConnection;

/**
 * {@code pgbridge bench writes}: what pgbridge's database objects cost the application's
 * writers. The same fixed number of seed-shaped transactions (2-4 child rows and a raw_state
 * refresh, one transaction per burst) at 1, 8 and 32 concurrent writers, on three databases:
 * {@code bare} (reference schema only: pgbridge's triggers and last_txid index dropped),
 * {@code no-notify} (version trigger and last_txid index, no NOTIFY) and {@code full}
 * (everything, with a LISTEN connection draining the channel as the bridge would). Each
 * combination runs {@code --rounds} times in alternating order; the best round counts (the
 * machine is shared, so the least disturbed run is the best estimate of the cost).
 */
final class WritesBench {

  private static final List<String> VARIANTS = List.of("bare", "no-notify", "full");

  private WritesBench() {}

  static int run(BenchArgs a, PrintStream out) throws Exception {
    int transactions = a.getInt("transactions", 30_000);
    int rounds = a.getInt("rounds", 3);
    List<Integer> writerCounts = new ArrayList<>();
    for (String w : a.get("writers", "1,8,32").split(",")) {
      writerCounts.add(Integer.parseInt(w.strip()));
    }
    int sessions = a.getInt("sessions", 2000);
    Path outDir = Path.of(a.get("out", "target/bench"));
    Files.createDirectories(outDir);
    String loadBefore = CompareBench.loadAverage();
    Map<String, double[]> best = new LinkedHashMap<>();
    try (BenchInfra infra = BenchInfra.open(a)) {
      for (String v : VARIANTS) {
        String db = "bench_writes_" + v.replace('-', '_');
        infra.freshDatabase(db);
        try (Connection c = infra.connect(db); Statement s = c.createStatement()) {
          if (!v.equals("full")) {
            infra.dropNotifyTriggers(db);
          }
          if (v.equals("bare")) {
            s.execute("DROP TRIGGER pgbridge_version ON generation_sessions");
            s.execute("DROP INDEX generation_sessions_last_txid_idx");
          }
          new WorkloadWriter(new Workload("writes", sessions, sessions, 2048, 0, 0, 1),
              () -> null, 42).insertSessions(c);
        }
        best.put(v, new double[writerCounts.size()]);
      }
      for (int round = 0; round < rounds; round++) {
        for (int wi = 0; wi < writerCounts.size(); wi++) {
          List<String> order = new ArrayList<>(VARIANTS);
          if ((round + wi) % 2 == 1) {
            java.util.Collections.reverse(order);
          }
          for (String v : order) {
            String db = "bench_writes_" + v.replace('-', '_');
            double tps = runOnce(infra, db, v.equals("full"), writerCounts.get(wi), transactions,
                sessions, round);
            out.printf(Locale.ROOT, "round %d, %2d writers, %-9s %8.0f tx/s (load %s)%n", round,
                writerCounts.get(wi), v, tps, CompareBench.loadAverage());
            best.get(v)[wi] = Math.max(best.get(v)[wi], tps);
          }
        }
      }
    }
    StringBuilder md = new StringBuilder();
    md.append("| writers | bare tx/s | no-notify tx/s | full tx/s | overhead of version trigger"
        + " + index | overhead of full pgbridge (incl. NOTIFY) |\n|--:|--:|--:|--:|--:|--:|\n");
    for (int wi = 0; wi < writerCounts.size(); wi++) {
      double bare = best.get("bare")[wi];
      double noNotify = best.get("no-notify")[wi];
      double full = best.get("full")[wi];
      md.append(String.format(Locale.ROOT, "| %d | %.0f | %.0f | %.0f | %.1f %% | %.1f %% |%n",
          writerCounts.get(wi), bare, noNotify, full, 100 * (1 - noNotify / bare),
          100 * (1 - full / bare)));
    }
    md.append(String.format(Locale.ROOT, "%n%d transactions per run, each 2-4 child rows + one"
        + " raw_state refresh (~2 KB); best of %d rounds; load average %s -> %s%n",
        transactions, rounds, loadBefore, CompareBench.loadAverage()));
    out.println();
    out.println(md);
    Files.writeString(outDir.resolve("writes.md"), md.toString());
    return 0;
  }

  private static double runOnce(BenchInfra infra, String db, boolean listen, int writers,
      int transactions, int sessions, int round) throws Exception {
    AtomicInteger left = new AtomicInteger(transactions);
    List<Thread> threads = new ArrayList<>();
    List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    WorkloadWriter ids = new WorkloadWriter(new Workload("writes", sessions, sessions, 2048, 0, 0,
        1), () -> null, 42);
    Thread listener = null;
    Connection listenConn = null;
    if (listen) {
      listenConn = CompareBench.connect(infra, db, "bench-listen");
      try (Statement s = listenConn.createStatement()) {
        s.execute("LISTEN " + BenchInfra.CHANNEL);
      }
      PGConnection pg = listenConn.unwrap(PGConnection.class);
      Connection lc = listenConn;
      listener = new Thread(() -> {
        try {
          while (!lc.isClosed()) {
            pg.getNotifications(200);
          }
        } catch (SQLException e) {
          // closed at the end of the run
        }
      }, "bench-listen");
      listener.start();
    }
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
          while (left.getAndDecrement() > 0) {
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
    double seconds = (System.nanoTime() - start) / 1e9;
    if (listenConn != null) {
      listenConn.close();
      listener.join(5_000);
    }
    if (!errors.isEmpty()) {
      throw new IllegalStateException("writer failed", errors.get(0));
    }
    return transactions / seconds;
  }
}
