package io.pgbridge.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * {@code pgbridge bench SUBCOMMAND [OPTIONS]}: the benchmarks, reached reflectively from
 * {@code io.pgbridge.cli.Main} in a development build (this class is compiled with the tests and
 * never ships in the production jar). Runs on the caller's thread; returns an exit code.
 */
public final class BenchCommand {

  static final String USAGE = """
      Usage: pgbridge bench SUBCOMMAND [OPTIONS]

        jmh       JMH benchmark of the listener hot path (parse + coalesce), one thread
                  [--quick] [--out FILE.json] [REGEX]
        compare   pgbridge (debounce 0 and 100) vs the seed listener vs Debezium, same workload
                  [--workload seed|light|firehose|large|wide] [--sessions N] [--seconds S]
                  [--peers pgbridge-0,pgbridge-100,seed,debezium] [--seed N]
                  (a pgbridge peer is pgbridge-<debounce ms>, optionally followed by
                  -leading|-trailing (debounce.mode), -linger<ms>, -batch<bytes>, -wal
                  (source.mode=wal); pgbridge-wal is pgbridge-0-wal)
                  [--writers N] [--warmup S] [--drain-seconds S]
                  [--database-url URL --database-user U --database-password P] [--kafka HOST:PORT]
                  [--out DIR] [--svg FILE]
        writes    writer throughput on a durable PostgreSQL (system binaries, fsync on):
                  bare vs pgbridge in NOTIFY and WAL mode, each with its reader running
                  [--variants bare,notify,wal,wal-drain,notify-listen] [--fsync on|off|on,off]
                  [--seconds S | --transactions N] [--warmup S (default 5, 0: none)]
                  [--writers 1,8,32,64] [--rounds N] [--sessions N]
                  [--postgres-bin DIR] [--database-url URL ...] [--kafka HOST:PORT] [--out DIR]
        catchup   catch-up query cost over 1 000 000 sessions, 1% changed after a checkpoint
                  [--sessions N] [--changed-percent P] [--page-size N] [--updates N] [--out DIR]
        gateway   the gateway (own JVM) with many WebSocket subscribers under a record rate:
                  append-to-receipt latency, heap per session and per connection
                  [--subscribers N] [--fanout N] [--sessions-per-project N] [--rates R,R,..|none]
                  [--seconds S] [--warmup S] [--memory-sessions N] [--state-bytes B]
                  [--gateway-heap SIZE] [--gateway-opts "JVM OPTIONS"] [--gateway-classpath CP]
                  [--gateway-set key=value,key=value]
                  [--broker process|in-process] [--out FILE.md]
      """;

  private BenchCommand() {}

  public static int run(String[] args) {
    return run(args, System.out, System.err);
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    if (rest.isEmpty() || rest.get(0).equals("--help") || rest.get(0).equals("-h")) {
      (rest.isEmpty() ? err : out).print(USAGE);
      return rest.isEmpty() ? 2 : 0;
    }
    String sub = rest.remove(0);
    try {
      return switch (sub) {
        case "jmh" -> jmh(rest, out);
        case "compare" -> CompareBench.run(new BenchArgs(rest, Set.of("workload", "sessions",
            "writers", "seconds", "warmup", "drain-seconds", "peers", "seed", "database-url",
            "database-user", "database-password", "kafka", "out", "svg"), Set.of()), out);
        case "writes" -> WritesBench.run(new BenchArgs(rest, Set.of("seconds", "warmup",
            "transactions", "writers", "rounds", "sessions", "variants", "fsync", "postgres-bin",
            "database-url", "database-user", "database-password", "kafka", "out"), Set.of()), out);
        case "catchup" -> CatchupBench.run(new BenchArgs(rest, Set.of("sessions",
            "changed-percent", "page-size", "updates", "writers", "database-url",
            "database-user", "database-password", "kafka", "out"), Set.of()), out);
        case "gateway" -> GatewayBench.run(new BenchArgs(rest, Set.of("subscribers", "fanout",
            "sessions-per-project", "rates", "seconds", "warmup", "memory-sessions",
            "state-bytes", "gateway-heap", "gateway-opts", "gateway-classpath", "gateway-set", "broker",
            "out"),
            Set.of()), out);
        default -> {
          err.println("unknown bench subcommand '" + sub + "'\n");
          err.print(USAGE);
          yield 2;
        }
      };
    } catch (IllegalArgumentException e) {
      err.println("bench " + sub + ": " + e.getMessage());
      return 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } catch (Exception e) {
      e.printStackTrace(err);
      return 1;
    }
  }

  private static int jmh(List<String> rest, PrintStream out) throws Exception {
    BenchArgs a = new BenchArgs(rest, Set.of("out"), Set.of("quick"));
    String include = a.positional().isEmpty() ? HotPathBenchmark.class.getSimpleName()
        : a.positional().get(0);
    ChainedOptionsBuilder opts = new OptionsBuilder().include(include);
    if (a.flag("quick")) {
      opts.warmupIterations(1).warmupTime(TimeValue.seconds(1))
          .measurementIterations(2).measurementTime(TimeValue.seconds(1));
    }
    String file = a.get("out", null);
    if (file != null) {
      opts.resultFormat(org.openjdk.jmh.results.format.ResultFormatType.JSON).result(file);
    }
    var results = new Runner(opts.build()).run();
    out.println();
    out.println("benchmark                         notifications/s (one thread)");
    for (RunResult r : results) {
      var p = r.getPrimaryResult();
      out.printf("%-32s %,14.0f ± %,.0f%n", r.getParams().getBenchmark()
          .replaceAll(".*\\.", ""), p.getScore(), p.getScoreError());
    }
    return 0;
  }
}
