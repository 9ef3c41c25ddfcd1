package io.pgbridge.demo;

import java.util.ArrayList;
import java.util.List;

/**
 * The options of {@code pgbridge demo}, parsed once and then immutable. {@link #parse} reports
 * every problem at once (as the bridge's own configuration does) instead of stopping at the
 * first; a caller prints them with the usage text and exits with the usage code. Pure: no I/O.
 *
 * @param durationSeconds how long the workload runs; 0 runs until Ctrl-C
 * @param sessions sessions kept active at once
 * @param httpPort port of /metrics and /status; 0 picks a free one
 * @param gatewayPort port of the gateway's page and endpoints; 0 picks a free one, -1 runs no
 *     gateway
 * @param debounceMs the bridge's {@code debounce.ms}
 * @param verbose keep the bridge's INFO log lines
 * @param help print the usage text and exit
 */
public record DemoOptions(long durationSeconds, int sessions, int httpPort, int gatewayPort,
    long debounceMs, boolean verbose, boolean help) {

  static final String USAGE = """
      Usage: pgbridge demo [OPTIONS]

      Starts embedded PostgreSQL 17 and Kafka, applies the schema, creates the compacted topic
      generation-state (6 partitions), runs the bridge and a simulated agent workload, consumes
      the topic live, and starts the gateway whose page shows the sessions progress. At the end it drains the bridge, prints a summary and checks that
      the last record of every session equals its database row (exit 0 if so, 1 if not).

      Options:
        --duration SECONDS   how long the workload runs (default 60; 0 = until Ctrl-C)
        --sessions N         sessions kept active at once (default 100)
        --http-port P        port of /metrics and /status (default 8080; 0 = any free port)
        --gateway-port P     port of the gateway and its live page (default 8081; 0 = any
                             free port; -1 = no gateway). The demo's gateway is
                             unauthenticated: anyone who reaches the port sees every project.
        --debounce-ms MS     the bridge's debounce.ms (default 100; 0 to measure latency)
        --verbose            keep the bridge's own INFO log lines
        --help               this text

      Ctrl-C (or SIGTERM) stops the workload early and still drains, summarises and checks.
      """;

  /** Parses {@code args}; throws with every problem found. */
  public static DemoOptions parse(String[] args) {
    long duration = 60;
    int sessions = 100;
    int httpPort = 8080;
    int gatewayPort = 8081;
    long debounce = 100;
    boolean verbose = false;
    boolean help = false;
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      String value = null;
      int eq = name.indexOf('=');
      if (name.startsWith("--") && eq > 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      switch (name) {
        case "--help", "-h" -> help = true;
        case "--verbose" -> verbose = true;
        case "--duration", "--sessions", "--http-port", "--gateway-port", "--debounce-ms" -> {
          if (value == null) {
            value = i + 1 < args.length ? args[++i] : null;
          }
          Long n = number(name, value, problems);
          if (n == null) {
            continue;
          }
          switch (name) {
            case "--duration" -> duration = inRange(name, n, 0, 86_400, problems);
            case "--sessions" -> sessions = (int) inRange(name, n, 1, 10_000, problems);
            case "--http-port" -> httpPort = (int) inRange(name, n, 0, 65_535, problems);
            case "--gateway-port" -> gatewayPort = (int) inRange(name, n, -1, 65_535, problems);
            default -> debounce = inRange(name, n, 0, 60_000, problems);
          }
        }
        default -> problems.add("unknown option " + args[i]);
      }
    }
    if (!problems.isEmpty() && !help) {
      throw new IllegalArgumentException(String.join("\n", problems));
    }
    return new DemoOptions(duration, sessions, httpPort, gatewayPort, debounce, verbose, help);
  }

  private static Long number(String name, String value, List<String> problems) {
    if (value == null || value.isEmpty()) {
      problems.add(name + " needs a value");
      return null;
    }
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      problems.add(name + " must be a whole number, not '" + value + "'");
      return null;
    }
  }

  private static long inRange(String name, long n, long min, long max, List<String> problems) {
    if (n < min || n > max) {
      problems.add(name + " must be between " + min + " and " + max + ", not " + n);
    }
    return n;
  }
}
