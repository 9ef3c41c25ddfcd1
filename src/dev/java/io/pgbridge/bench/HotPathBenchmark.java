package io.pgbridge.bench;

import io.pgbridge.Bridge;
import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.DebounceMode;
import io.pgbridge.coalesce.DueSession;
import io.pgbridge.coalesce.SessionCoalescer;
import io.pgbridge.source.notify.NotificationParser;
import io.pgbridge.source.notify.Signal;
import io.pgbridge.time.Backoff;
import io.pgbridge.time.Ticker;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The listener thread's per-notification work, on one core: {@link NotificationParser#parse}
 * of a pgbridge trigger payload followed by {@link SessionCoalescer#mark}. Payloads are
 * pre-generated with the seed workload's mix (mostly child-row changes, a raw_state refresh
 * per burst) over {@code sessions} distinct session ids, so the coalescer's map holds that
 * many entries, as in production.
 *
 * <p>Benchmarks: {@code parse} alone; {@code parseAndMark} with a 100 ms window and no worker
 * (every session stays dirty: the steady state under a debounce window); {@code
 * parseMarkAndDrain} with a 0 ms window where every 256 notifications the due sessions are
 * taken and completed, so most marks create a fresh entry (the worst case, debounce.ms=0; the
 * drain is counted in the score although workers run it on other threads in the bridge).
 * Score = notifications per second per thread.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Threads(1)
public class HotPathBenchmark {

  private static final int PAYLOADS = 1 << 16;
  private static final int DRAIN_EVERY = 256;

  @Param({"10000"})
  public int sessions;

  private String[] payloads;
  private int next;
  private NotificationParser parser;
  private SessionCoalescer debounced;
  private SessionCoalescer immediate;
  private int sinceDrain;

  @Setup(Level.Trial)
  public void setUp() {
    List<String> tables = new ArrayList<>();
    tables.add("generation_sessions");
    tables.addAll(Bridge.CHILD_TABLES);
    ChangeSources sources = new ChangeSources(tables);
    parser = new NotificationParser(sources);
    Backoff backoff = new Backoff(100, 1000, () -> 0.5);
    debounced = new SessionCoalescer(Ticker.SYSTEM, DebounceMode.LEADING, 100, 1000, backoff);
    immediate = new SessionCoalescer(Ticker.SYSTEM, DebounceMode.LEADING, 0, 1000, backoff);
    payloads = payloads(sessions, PAYLOADS, 42);
  }

  /** Payloads exactly as sql/V002's triggers format them, in the seed burst's table mix. */
  static String[] payloads(int sessions, int count, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    UUID[] ids = new UUID[sessions];
    for (int i = 0; i < sessions; i++) {
      ids[i] = new UUID(random.nextLong(), random.nextLong());
    }
    String[] out = new String[count];
    for (int i = 0; i < count; i++) {
      int r = random.nextInt(100);
      String table;
      String op;
      if (r < 30) {
        table = "generation_todos";
        op = r < 15 ? "INSERT" : "UPDATE";
      } else if (r < 60) {
        table = "generation_tool_calls";
        op = r < 45 ? "INSERT" : "UPDATE";
      } else if (r < 75) {
        table = "generation_notes";
        op = "INSERT";
      } else {
        table = "generation_sessions";
        op = "UPDATE";
      }
      out[i] = "{\"table\":\"" + table + "\",\"op\":\"" + op + "\",\"session_id\":\""
          + ids[random.nextInt(sessions)] + "\"}";
    }
    return out;
  }

  private String nextPayload() {
    String p = payloads[next];
    next = (next + 1) & (PAYLOADS - 1);
    return p;
  }

  @Benchmark
  public Signal parse() {
    return parser.parse(nextPayload());
  }

  @Benchmark
  public long parseAndMark() {
    Signal s = parser.parse(nextPayload());
    if (s instanceof Signal.Change c) {
      return debounced.mark(c.sessionId(), c.source());
    }
    throw new IllegalStateException(s.toString());
  }

  @Benchmark
  public long parseMarkAndDrain() {
    Signal s = parser.parse(nextPayload());
    if (!(s instanceof Signal.Change c)) {
      throw new IllegalStateException(s.toString());
    }
    long seq = immediate.mark(c.sessionId(), c.source());
    if (++sinceDrain == DRAIN_EVERY) {
      sinceDrain = 0;
      for (DueSession d : immediate.pollDue(Integer.MAX_VALUE)) {
        immediate.complete(d.id(), true);
      }
    }
    return seq;
  }
}
