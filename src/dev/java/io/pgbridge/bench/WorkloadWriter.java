package io.pgbridge.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Runs a {@link Workload} against one database with {@code writers} connections, each on its
 * own thread ({@code bench-writer-N}) owning a fixed share of the active sessions, so that the
 * bursts of one session are serial and its versions are committed in order. After every
 * {@code raw_state} commit the writer records {@code (version, System.nanoTime())} for the
 * session: the start of the commit-to-receipt lag. Deterministic for a given seed, whatever the
 * peer. {@link #start()} / {@link #stop()} from the benchmark's main thread.
 */
final class WorkloadWriter {

  private final Workload workload;
  private final Supplier<Connection> connections;
  private final long seed;
  final UUID[] ids;
  final Map<UUID, Integer> index = new HashMap<>();
  /** Per session: version, commit nanos, version, commit nanos, ... */
  final long[][] commits;
  final int[] commitCount;
  final AtomicLong rowChanges = new AtomicLong();
  final AtomicLong transactions = new AtomicLong();
  final AtomicLong errors = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running;
  private final String filler;

  WorkloadWriter(Workload workload, Supplier<Connection> connections, long seed) {
    this.workload = workload;
    this.connections = connections;
    this.seed = seed;
    SplittableRandom r = new SplittableRandom(seed);
    ids = new UUID[workload.sessions()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = new UUID(r.nextLong(), r.nextLong());
      index.put(ids[i], i);
    }
    commits = new long[workload.active()][];
    commitCount = new int[workload.active()];
    StringBuilder sb = new StringBuilder(workload.stateBytes());
    String alphabet = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    while (sb.length() < workload.stateBytes() - 200) {
      sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
    }
    filler = sb.toString();
  }

  /** Inserts every session (small state) before any peer starts. */
  void insertSessions(Connection c) throws SQLException {
    c.setAutoCommit(false);
    SplittableRandom r = new SplittableRandom(seed ^ 0x5eed);
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO generation_sessions"
        + " (id, project_id, status, raw_state) VALUES (?, ?, 'running', ?::jsonb)")) {
      for (int i = 0; i < ids.length; i++) {
        ps.setObject(1, ids[i]);
        ps.setObject(2, new UUID(r.nextLong(), r.nextLong()));
        ps.setString(3, "{\"step\":0}");
        ps.addBatch();
        if (i % 1000 == 999) {
          ps.executeBatch();
        }
      }
      ps.executeBatch();
    }
    c.commit();
    c.setAutoCommit(true);
    try (var s = c.createStatement()) {
      s.execute("VACUUM ANALYZE");
    }
  }

  void start() {
    running = true;
    for (int w = 0; w < workload.writers(); w++) {
      int writer = w;
      Thread t = new Thread(() -> loop(writer), "bench-writer-" + w);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  void stop() throws InterruptedException {
    running = false;
    for (Thread t : threads) {
      t.join(30_000);
    }
  }

  private void loop(int writer) {
    SplittableRandom r = new SplittableRandom(seed + 31L * writer + 1);
    PriorityQueue<long[]> due = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
    long now = System.nanoTime();
    for (int s = writer; s < workload.active(); s += workload.writers()) {
      // stagger the first bursts over one interval
      due.add(new long[] {now + TimeUnit.MILLISECONDS.toNanos(r.nextInt(workload.maxIntervalMs() + 1)), s});
    }
    if (due.isEmpty()) {
      return;
    }
    Map<Integer, UUID> lastTodo = new HashMap<>();
    Map<Integer, UUID> lastTool = new HashMap<>();
    Map<Integer, Integer> step = new HashMap<>();
    try (Connection c = connections.get()) {
      c.setAutoCommit(false);
      PreparedStatement todoIns = c.prepareStatement(
          "INSERT INTO generation_todos (id, session_id, position, content) VALUES (?, ?, ?, ?)");
      PreparedStatement todoUpd = c.prepareStatement(
          "UPDATE generation_todos SET status = ?, updated_at = now() WHERE id = ?");
      PreparedStatement toolIns = c.prepareStatement("INSERT INTO generation_tool_calls"
          + " (id, session_id, tool_name, input) VALUES (?, ?, ?, ?::jsonb)");
      PreparedStatement toolUpd = c.prepareStatement("UPDATE generation_tool_calls"
          + " SET state = 'done', output = ?::jsonb, ended_at = now() WHERE id = ?");
      PreparedStatement noteIns = c.prepareStatement(
          "INSERT INTO generation_notes (session_id, body) VALUES (?, ?)");
      PreparedStatement refresh = c.prepareStatement("UPDATE generation_sessions"
          + " SET raw_state = ?::jsonb, updated_at = now() WHERE id = ? RETURNING state_version");
      while (running) {
        long[] next = due.poll();
        long wait = next[0] - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(200)));
          if (wait > TimeUnit.MILLISECONDS.toNanos(200)) {
            due.add(next);
            continue;
          }
        }
        int s = (int) next[1];
        UUID id = ids[s];
        int n = 2 + r.nextInt(3);
        int rows = 0;
        try {
          for (int k = 0; k < n; k++) {
            switch (r.nextInt(5)) {
              case 0 -> {
                UUID todo = new UUID(r.nextLong(), r.nextLong());
                todoIns.setObject(1, todo);
                todoIns.setObject(2, id);
                todoIns.setInt(3, k);
                todoIns.setString(4, "todo " + k + " of burst");
                rows += todoIns.executeUpdate();
                lastTodo.put(s, todo);
              }
              case 1 -> {
                UUID todo = lastTodo.get(s);
                if (todo == null) {
                  noteIns.setObject(1, id);
                  noteIns.setString(2, "no todo yet");
                  rows += noteIns.executeUpdate();
                } else {
                  todoUpd.setString(1, r.nextBoolean() ? "in_progress" : "completed");
                  todoUpd.setObject(2, todo);
                  rows += todoUpd.executeUpdate();
                }
              }
              case 2 -> {
                UUID tool = new UUID(r.nextLong(), r.nextLong());
                toolIns.setObject(1, tool);
                toolIns.setObject(2, id);
                toolIns.setString(3, "read_file");
                toolIns.setString(4, "{\"path\":\"src/app/page.tsx\"}");
                rows += toolIns.executeUpdate();
                lastTool.put(s, tool);
              }
              case 3 -> {
                UUID tool = lastTool.get(s);
                if (tool == null) {
                  noteIns.setObject(1, id);
                  noteIns.setString(2, "no tool call yet");
                  rows += noteIns.executeUpdate();
                } else {
                  toolUpd.setString(1, "{\"ok\":true,\"bytes\":1234}");
                  toolUpd.setObject(2, tool);
                  rows += toolUpd.executeUpdate();
                }
              }
              default -> {
                noteIns.setObject(1, id);
                noteIns.setString(2, "assistant note " + k);
                rows += noteIns.executeUpdate();
              }
            }
          }
          c.commit();
          transactions.incrementAndGet();
          rowChanges.addAndGet(rows);
          int st = step.merge(s, 1, Integer::sum);
          refresh.setString(1, state(id, st));
          refresh.setObject(2, id);
          long version;
          try (ResultSet rs = refresh.executeQuery()) {
            rs.next();
            version = rs.getLong(1);
          }
          c.commit();
          long committed = System.nanoTime();
          transactions.incrementAndGet();
          rowChanges.incrementAndGet();
          record(s, version, committed);
        } catch (SQLException e) {
          errors.incrementAndGet();
          try {
            c.rollback();
          } catch (SQLException ignored) {
            // the connection is broken; the next statement reports it
          }
        }
        long gap = workload.maxIntervalMs() == 0 ? 0 : workload.minIntervalMs()
            + r.nextInt(workload.maxIntervalMs() - workload.minIntervalMs() + 1);
        due.add(new long[] {System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(gap), s});
      }
    } catch (SQLException e) {
      throw new IllegalStateException("writer " + writer + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private String state(UUID id, int step) {
    StringBuilder sb = new StringBuilder(filler.length() + 200);
    sb.append("{\"sessionId\":\"").append(id).append("\",\"status\":\"running\",\"step\":")
        .append(step).append(",\"todos\":[{\"content\":\"step ").append(step)
        .append("\",\"status\":\"in_progress\"}],\"log\":\"").append(filler).append("\"}");
    return sb.toString();
  }

  private void record(int s, long version, long nanos) {
    long[] a = commits[s];
    int n = commitCount[s];
    if (a == null) {
      a = new long[32];
    } else if (n * 2 + 2 > a.length) {
      a = java.util.Arrays.copyOf(a, a.length * 2);
    }
    a[n * 2] = version;
    a[n * 2 + 1] = nanos;
    commits[s] = a;
    commitCount[s] = n + 1;
  }

  /** Sessions the workload writes (the first {@code active} ids). */
  int activeSessions() {
    return workload.active();
  }
}
