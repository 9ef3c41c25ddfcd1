package io.pgbridge.bench;

/**
 * The shape of a write workload. Every burst writes a few child rows (todo insert/update,
 * tool_call insert/update, note) in one transaction, then refreshes the session's
 * {@code raw_state} in a second one, as the seed's runner does ("persist, then
 * refreshRawState"). Each active session bursts again a random
 * {@code [minIntervalMs, maxIntervalMs]} after its previous burst ended; 0 means at once (as
 * fast as PostgreSQL sustains).
 */
record Workload(String name, int sessions, int active, int stateBytes, int minIntervalMs,
    int maxIntervalMs, int writers) {

  static Workload of(String name, int sessionsOption, int writersOption) {
    return switch (name) {
      // the seed's pattern: a few hundred live sessions, a burst every 100-300 ms, ~2 KB state
      case "seed" -> new Workload(name, orDefault(sessionsOption, 200), orDefault(sessionsOption, 200),
          2048, 100, 300, orDefault(writersOption, 8));
      // light load: 200 sessions, ~100 transactions/s in all (a burst is two transactions, so
      // each session bursts every 3-5 s): what an isolated change costs, not a backlog
      case "light" -> new Workload(name, orDefault(sessionsOption, 200), orDefault(sessionsOption, 200),
          2048, 3000, 5000, orDefault(writersOption, 8));
      // 1000 sessions written back to back by 16 connections: PostgreSQL is the limit
      case "firehose" -> new Workload(name, orDefault(sessionsOption, 1000),
          orDefault(sessionsOption, 1000), 2048, 0, 0, orDefault(writersOption, 16));
      // the seed's pattern with a 64 KB raw_state (TOASTed, compressed by PostgreSQL)
      case "large" -> new Workload(name, orDefault(sessionsOption, 200), orDefault(sessionsOption, 200),
          64 * 1024, 100, 300, orDefault(writersOption, 8));
      // 100 000 sessions, 1% of them active, each active one bursting every 1-3 s
      case "wide" -> {
        int n = orDefault(sessionsOption, 100_000);
        yield new Workload(name, n, Math.max(1, n / 100), 2048, 1000, 3000,
            orDefault(writersOption, 8));
      }
      default -> throw new IllegalArgumentException("unknown workload " + name
          + " (seed, light, firehose, large, wide)");
    };
  }

  private static int orDefault(int option, int def) {
    return option > 0 ? option : def;
  }
}
