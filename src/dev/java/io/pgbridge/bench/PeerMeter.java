package io.pgbridge.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * CPU and allocation of one peer, measured per thread. The peer's threads are those created
 * after {@link #PeerMeter construction} (just before the peer starts) whose name does not start
 * with {@code bench-} (the workload writers, the consumer and this sampler). A sampler thread
 * reads {@code ThreadMXBean} CPU time and allocated bytes every 250 ms and keeps the last value
 * of each thread, so a thread that ends mid-run still counts up to its last sample. The window
 * opens at {@link #openWindow()}: threads alive then count from their value at that moment,
 * later ones from zero.
 *
 * <p>On the database side, the same is done for the server processes of the peer's
 * connections (client backends and walsenders of the peer's database, except {@code bench-*}
 * application names), from {@code /proc/PID/stat}; only possible when PostgreSQL runs on this
 * machine (the embedded server), otherwise reported as unknown.
 */
final class PeerMeter implements AutoCloseable {

  private static final long SAMPLE_MS = 250;
  private final com.sun.management.ThreadMXBean mx =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private final Set<Long> before = new HashSet<>();
  private final Map<Long, long[]> threads = new HashMap<>(); // start cpu, last cpu, start alloc, last alloc
  private final Map<Long, String> names = new HashMap<>();
  private final Map<Integer, long[]> backends = new HashMap<>(); // start ticks, last ticks
  private final Connection db;
  private final String database;
  private final Thread sampler;
  private volatile boolean running = true;
  private volatile boolean windowOpen;
  private boolean procReadable = true;

  PeerMeter(Connection db, String database) {
    this.db = db;
    this.database = database;
    for (long id : mx.getAllThreadIds()) {
      before.add(id);
    }
    sampler = new Thread(this::loop, "bench-sampler");
    sampler.setDaemon(true);
    sampler.start();
  }

  private void loop() {
    int n = 0;
    while (running) {
      sample(n++ % 4 == 0);
      try {
        Thread.sleep(SAMPLE_MS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private synchronized void sample(boolean withDb) {
    long[] ids = mx.getAllThreadIds();
    ThreadInfo[] infos = mx.getThreadInfo(ids);
    for (int i = 0; i < ids.length; i++) {
      if (infos[i] == null || before.contains(ids[i])
          || infos[i].getThreadName().startsWith("bench-")) {
        continue;
      }
      long cpu = mx.getThreadCpuTime(ids[i]);
      long alloc = mx.getThreadAllocatedBytes(ids[i]);
      if (cpu < 0) {
        continue;
      }
      long[] t = threads.get(ids[i]);
      if (t == null) {
        t = new long[4];
        threads.put(ids[i], t);
        names.put(ids[i], infos[i].getThreadName());
      }
      t[1] = cpu;
      t[3] = alloc;
      if (!windowOpen) {
        t[0] = cpu;
        t[2] = alloc;
      }
    }
    if (withDb && db != null && procReadable) {
      try (PreparedStatement ps = db.prepareStatement("SELECT pid FROM pg_stat_activity"
          + " WHERE datname = ? AND backend_type IN ('client backend', 'walsender')"
          + " AND application_name NOT LIKE 'bench-%' AND pid <> pg_backend_pid()")) {
        ps.setString(1, database);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            int pid = rs.getInt(1);
            long ticks = procTicks(pid);
            if (ticks < 0) {
              continue;
            }
            long[] b = backends.computeIfAbsent(pid, k -> new long[2]);
            b[1] = ticks;
            if (!windowOpen) {
              b[0] = ticks;
            }
          }
        }
      } catch (Exception e) {
        procReadable = false;
      }
    }
  }

  private long procTicks(int pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime
    } catch (Exception e) {
      procReadable = false;
      return -1;
    }
  }

  void openWindow() {
    sample(true);
    windowOpen = true;
  }

  /** Takes a last sample; after this the totals are final. */
  void closeWindow() {
    sample(true);
    running = false;
    sampler.interrupt();
  }

  synchronized long cpuNanos() {
    return threads.values().stream().mapToLong(t -> t[1] - t[0]).sum();
  }

  synchronized long allocatedBytes() {
    return threads.values().stream().mapToLong(t -> t[3] - t[2]).sum();
  }

  /** Database-side CPU of the peer's server processes in ms, or -1 when /proc is unreadable. */
  synchronized long dbCpuMillis() {
    if (!procReadable || backends.isEmpty()) {
      return -1;
    }
    return backends.values().stream().mapToLong(b -> b[1] - b[0]).sum() * 10; // 100 ticks/s
  }

  /** The five busiest threads, to check the attribution. */
  synchronized String topThreads() {
    Map<String, Long> byName = new HashMap<>();
    threads.forEach((id, t) -> byName.merge(names.get(id).replaceAll("[0-9a-f]{6,}|-?\\d+$", "*"),
        t[1] - t[0], Long::sum));
    return byName.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(5).map(e -> e.getKey() + "=" + e.getValue() / 1_000_000 + "ms")
        .collect(Collectors.joining(", "));
  }

  /** Heap in use after full collections; the peer's share is this before minus after close. */
  static long heapUsedAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    return heap.getUsed();
  }

  @Override
  public void close() {
    running = false;
    sampler.interrupt();
  }

}
