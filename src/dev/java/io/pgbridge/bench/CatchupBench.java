package io.pgbridge.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgbridge.checkpoint.CheckpointStore;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code pgbridge bench catchup}: the cost of the catch-up that follows every (re)connect.
 * {@code --sessions} rows (default 1 000 000) are loaded, a checkpoint snapshot is taken, then
 * {@code --changed-percent} (default 1) of the sessions are updated through the normal triggers.
 * Measured: the paged catch-up ({@link CheckpointStore#changedSince}, page size
 * {@code --page-size}) end to end, EXPLAIN (ANALYZE, BUFFERS) of its first and a later page,
 * with literal values and with the generic plan a prepared statement may settle on; and the
 * write overhead of last_txid's index: UPDATE throughput and HOT ratio with and without it.
 */
final class CatchupBench {

  private CatchupBench() {}

  static int run(BenchArgs a, PrintStream out) throws Exception {
    int sessions = a.getInt("sessions", 1_000_000);
    int changedPercent = a.getInt("changed-percent", 1);
    int pageSize = a.getInt("page-size", 10_000);
    int updates = a.getInt("updates", 20_000);
    int writers = a.getInt("writers", 8);
    Path outDir = Path.of(a.get("out", "target/bench"));
    Files.createDirectories(outDir);
    StringBuilder md = new StringBuilder();
    String load = CompareBench.loadAverage();
    try (BenchInfra infra = BenchInfra.open(a)) {
      String db = "bench_catchup";
      infra.freshDatabase(db);
      long t0 = System.nanoTime();
      try (Connection c = infra.connect(db); Statement s = c.createStatement()) {
        // bulk load without triggers; each row looks as if written by one old transaction
        c.setAutoCommit(false);
        s.execute("SET session_replication_role = replica");
        s.execute("INSERT INTO generation_sessions (id, project_id, raw_state, state_version,"
            + " last_txid) SELECT gen_random_uuid(), gen_random_uuid(), jsonb_build_object("
            + "'step', g, 'log', repeat('x', 200)), 1, pg_current_xact_id()"
            + " FROM generate_series(1, " + sessions + ") g");
        c.commit();
        c.setAutoCommit(true);
        s.execute("VACUUM ANALYZE generation_sessions");
      }
      out.printf("loaded %d sessions in %.1f s%n", sessions, (System.nanoTime() - t0) / 1e9);
      HikariConfig hc = new HikariConfig();
      hc.setJdbcUrl(infra.url(db));
      hc.setUsername(infra.user());
      hc.setPassword(infra.password());
      hc.setMaximumPoolSize(2);
      try (HikariDataSource pool = new HikariDataSource(hc);
          Connection c = pool.getConnection(); Statement s = c.createStatement()) {
        String snapshot;
        try (ResultSet rs = s.executeQuery("SELECT pg_current_snapshot()::text")) {
          rs.next();
          snapshot = rs.getString(1);
        }
        List<UUID> all = new ArrayList<>(sessions);
        try (ResultSet rs = s.executeQuery("SELECT id FROM generation_sessions")) {
          while (rs.next()) {
            all.add(rs.getObject(1, UUID.class));
          }
        }
        int changed = sessions * changedPercent / 100;
        SplittableRandom r = new SplittableRandom(7);
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement(
            "UPDATE generation_sessions SET raw_state = raw_state || '{\"changed\":true}' WHERE id = ?")) {
          for (int i = 0; i < changed; i++) {
            ps.setObject(1, all.get(r.nextInt(all.size())));
            ps.addBatch();
            if (i % 100 == 99) {
              ps.executeBatch();
              c.commit(); // 100 sessions per transaction, as many writers would commit them
            }
          }
          ps.executeBatch();
          c.commit();
        }
        c.setAutoCommit(true);
        long distinct;
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM generation_sessions WHERE"
            + " NOT pg_visible_in_snapshot(last_txid, '" + snapshot + "'::pg_snapshot)")) {
          rs.next();
          distinct = rs.getLong(1);
        }
        out.printf("checkpoint %s; %d updates, %d distinct sessions changed since%n", snapshot,
            changed, distinct);
        md.append(String.format(Locale.ROOT, "%d sessions, %d updates after the checkpoint"
            + " (%d distinct sessions), page size %d, load %s%n%n", sessions, changed, distinct,
            pageSize, load));
        md.append("| run | pages | sessions found | total ms | slowest page ms |\n"
            + "|--:|--:|--:|--:|--:|\n");
        CheckpointStore store = new CheckpointStore(pool, BenchInfra.SCHEMA, BenchInfra.SESSIONS,
            "bench", false, "bench");
        UUID middle = null;
        for (int run = 1; run <= 10; run++) {
          long start = System.nanoTime();
          long slowest = 0;
          int pages = 0;
          long found = 0;
          UUID after = null;
          while (true) {
            long ps = System.nanoTime();
            List<UUID> page = store.changedSince(snapshot, after, pageSize);
            slowest = Math.max(slowest, System.nanoTime() - ps);
            pages++;
            found += page.size();
            if (page.size() < pageSize) {
              break;
            }
            after = page.get(page.size() - 1);
            if (middle == null) {
              middle = after;
            }
          }
          double ms = (System.nanoTime() - start) / 1e6;
          out.printf(Locale.ROOT, "catch-up run %d: %d pages, %d sessions, %.1f ms (slowest page"
              + " %.1f ms)%n", run, pages, found, ms, slowest / 1e6);
          md.append(String.format(Locale.ROOT, "| %d | %d | %d | %.1f | %.1f |%n", run, pages,
              found, ms, slowest / 1e6));
        }
        String q = "SELECT id FROM generation_sessions WHERE last_txid >= pg_snapshot_xmin('"
            + snapshot + "'::pg_snapshot) AND NOT pg_visible_in_snapshot(last_txid, '" + snapshot
            + "'::pg_snapshot)";
        md.append("\nEXPLAIN (ANALYZE, BUFFERS), first page, literal snapshot:\n\n```\n")
            .append(explain(s, q + " ORDER BY id LIMIT " + pageSize)).append("```\n");
        if (middle != null) {
          md.append("\nEXPLAIN (ANALYZE, BUFFERS), a later page (id > last id of page 1):\n\n```\n")
              .append(explain(s, q + " AND id > '" + middle + "' ORDER BY id LIMIT " + pageSize))
              .append("```\n");
        }
        s.execute("PREPARE changed(text, uuid, int) AS SELECT id FROM generation_sessions"
            + " WHERE last_txid >= pg_snapshot_xmin($1::pg_snapshot)"
            + " AND NOT pg_visible_in_snapshot(last_txid, $1::pg_snapshot)"
            + " AND id > $2 ORDER BY id LIMIT $3");
        s.execute("SET plan_cache_mode = force_generic_plan");
        md.append("\nEXPLAIN (ANALYZE, BUFFERS) of the generic plan (what a prepared statement"
            + " may switch to after 5 executions):\n\n```\n")
            .append(explain(s, "EXECUTE changed('" + snapshot + "', '"
                + new UUID(0, 0) + "', " + pageSize + ")", true)).append("```\n");
        s.execute("RESET plan_cache_mode");
        s.execute("DEALLOCATE changed");
      }
      md.append("\n").append(writeOverhead(infra, db, updates, writers, out));
    }
    Files.writeString(outDir.resolve("catchup.md"), md.toString());
    out.println();
    out.println(md);
    return 0;
  }

  private static String explain(Statement s, String sql) throws SQLException {
    return explain(s, sql, false);
  }

  private static String explain(Statement s, String sql, boolean prepared) throws SQLException {
    StringBuilder sb = new StringBuilder();
    try (ResultSet rs = s.executeQuery("EXPLAIN (ANALYZE, BUFFERS) " + sql)) {
      while (rs.next()) {
        sb.append(rs.getString(1)).append('\n');
      }
    }
    return sb.toString();
  }

  /** UPDATE throughput and HOT ratio of session updates with and without the last_txid index. */
  private static String writeOverhead(BenchInfra infra, String db, int updates, int writers,
      PrintStream out) throws Exception {
    StringBuilder md = new StringBuilder("| last_txid index | updates/s | HOT updates |\n"
        + "|---|--:|--:|\n");
    List<UUID> ids = new ArrayList<>();
    try (Connection c = infra.connect(db); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id FROM generation_sessions TABLESAMPLE SYSTEM (5)"
            + " LIMIT 100000")) {
      while (rs.next()) {
        ids.add(rs.getObject(1, UUID.class));
      }
    }
    for (String phase : List.of("with", "without", "with", "without")) {
      try (Connection c = infra.connect(db); Statement s = c.createStatement()) {
        if (phase.equals("without")) {
          s.execute("DROP INDEX IF EXISTS generation_sessions_last_txid_idx");
        } else {
          s.execute("CREATE INDEX IF NOT EXISTS generation_sessions_last_txid_idx"
              + " ON generation_sessions (last_txid)");
        }
        s.execute("VACUUM generation_sessions");
        long[] before = hot(s);
        AtomicInteger left = new AtomicInteger(updates);
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (int w = 0; w < writers; w++) {
          int writer = w;
          Thread t = new Thread(() -> {
            SplittableRandom r = new SplittableRandom(writer);
            try (Connection wc = CompareBench.connect(infra, db, "bench-writer");
                PreparedStatement ps = wc.prepareStatement("UPDATE generation_sessions SET"
                    + " raw_state = jsonb_set(raw_state, '{step}', to_jsonb(?)), updated_at = now()"
                    + " WHERE id = ?")) {
              while (left.getAndDecrement() > 0) {
                ps.setInt(1, r.nextInt());
                ps.setObject(2, ids.get(r.nextInt(ids.size())));
                ps.executeUpdate();
              }
            } catch (SQLException e) {
              throw new IllegalStateException(e);
            }
          }, "bench-writer-" + w);
          threads.add(t);
          t.start();
        }
        for (Thread t : threads) {
          t.join();
        }
        double rate = updates / ((System.nanoTime() - start) / 1e9);
        Thread.sleep(1000); // statistics are flushed to pg_stat at most once a second
        s.execute("SELECT pg_stat_force_next_flush()");
        long[] after = hot(s);
        long upd = after[0] - before[0];
        long hotUpd = after[1] - before[1];
        out.printf(Locale.ROOT, "%s index: %.0f updates/s, HOT %d of %d%n", phase, rate, hotUpd,
            upd);
        md.append(String.format(Locale.ROOT, "| %s | %.0f | %.1f %% (%d of %d) |%n", phase, rate,
            upd == 0 ? 0 : 100.0 * hotUpd / upd, hotUpd, upd));
      }
    }
    md.append(String.format(Locale.ROOT, "%n%d single-row autocommit UPDATEs of random sessions"
        + " by %d writers per phase; load %s%n", updates, writers, CompareBench.loadAverage()));
    return md.toString();
  }

  private static long[] hot(Statement s) throws SQLException {
    try (ResultSet rs = s.executeQuery("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables"
        + " WHERE relname = 'generation_sessions'")) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2)};
    }
  }
}
