package io.pgbridge.demo;

import io.pgbridge.metrics.BridgeMetrics;
import java.io.PrintStream;
import java.util.Locale;
import java.util.UUID;

/**
 * The end-of-run report of {@code pgbridge demo}: what the agents committed, what the bridge
 * received, published and skipped, the coalescing ratio, the bridge's notification-to-ack lag,
 * the demo's own commit-to-consumer lag, and the final state check. Formatting only; called
 * once by {@link DemoCommand} on the main thread after everything stopped.
 */
final class Summary {

  /** The bridge's counters and lag percentiles, read once after it stopped. */
  record BridgeNumbers(long received, long published, long tombstones, long skipped,
      double[] notificationLag, double[] commitLag) {

    static BridgeNumbers of(BridgeMetrics m) {
      return new BridgeNumbers((long) m.receivedTotal(), (long) m.published().count(),
          (long) m.tombstones().count(), (long) m.skipped().count(),
          DemoCommand.percentiles(m.notificationLag(), 0.5, 0.95, 0.99),
          DemoCommand.percentiles(m.commitLag(), 0.5, 0.95, 0.99));
    }
  }

  private final PrintStream out;

  Summary(PrintStream out) {
    this.out = out;
  }

  void print(DemoOptions options, long elapsedNanos, boolean drained, long drainNanos,
      AgentWorkload workload, BridgeNumbers bridge, StateConsumer consumer,
      FinalStateCheck.Result check, Exception bridgeFailure) {
    RowChanges rows = workload.rows();
    long records = bridge.published() + bridge.tombstones();
    out.println();
    out.printf(Locale.ROOT, "== pgbridge demo summary: %.1f s of workload, %d sessions kept"
        + " active, debounce.ms=%d ==%n", elapsedNanos / 1e9, options.sessions(),
        options.debounceMs());
    line("committed row changes", String.format(Locale.US, "%,d", rows.total()),
        String.format(Locale.US, "%,d bursts (%.0f/s), %,d sessions created, %,d finished,"
            + " %,d deleted, %,d writer errors", workload.bursts(),
            workload.bursts() / (elapsedNanos / 1e9), check.sessions(), workload.finished(),
            workload.deleted(), workload.errors()));
    for (RowChanges.Table t : RowChanges.Table.values()) {
      line("  " + t.sqlName, String.format(Locale.US, "%,d", rows.total(t)),
          String.format(Locale.US, "%,d insert, %,d update, %,d delete",
              rows.count(t, RowChanges.Op.INSERT), rows.count(t, RowChanges.Op.UPDATE),
              rows.count(t, RowChanges.Op.DELETE)));
    }
    line("notifications received", String.format(Locale.US, "%,d", bridge.received()),
        "one per row change, minus identical ones PostgreSQL folds within a transaction");
    line("records published", String.format(Locale.US, "%,d", bridge.published()), null);
    line("tombstones published", String.format(Locale.US, "%,d", bridge.tombstones()), null);
    line("skipped as unchanged", String.format(Locale.US, "%,d", bridge.skipped()),
        "fetched, but the version was already published");
    line("coalescing ratio", ratio(rows.total(), records),
        "row changes per record (tombstones included)");
    line("notification->ack lag", lags(bridge.notificationLag()),
        "bridge timer pgbridge_lag_notification_to_ack");
    line("updated_at->ack lag", lags(bridge.commitLag()),
        "bridge timer pgbridge_lag_commit_to_ack (PostgreSQL's now() is the transaction start)");
    double[] e2e = consumer.lag().millis(0.5, 0.95, 0.99);
    line("commit->consumer lag", e2e.length == 0 ? "no sample" : lags(e2e),
        String.format(Locale.US, "demo: writer commit to consumer receipt, %,d records matched"
            + " by pgbridge.version", consumer.lag().count()));
    line("consumer", String.format(Locale.US, "%,d records", consumer.records()),
        String.format(Locale.US, "%,d tombstones, %,d version regressions, %,d repeated"
            + " versions", consumer.tombstones(), consumer.regressions(), consumer.repeats()));
    line("drain", String.format(Locale.ROOT, "%.1f s", drainNanos / 1e9),
        drained ? "until nothing was dirty or in flight and the topic was quiet for 1 s"
            : "NOT drained within 20 s");
    if (workload.firstError() != null) {
      out.println("first writer error: " + workload.firstError());
    }
    if (consumer.failure() != null) {
      out.println("consumer failed: " + consumer.failure());
    }
    if (bridgeFailure != null) {
      out.println("bridge failed: " + bridgeFailure);
    }
    if (check.passed()) {
      out.printf(Locale.US, "final-state check: PASS (%,d sessions, %,d of them deleted)%n",
          check.sessions(), check.deleted());
    } else {
      out.printf(Locale.US, "final-state check: FAIL (%,d of %,d sessions differ)%n",
          check.mismatches().size(), check.sessions());
      check.mismatches().stream().limit(20).forEach(m -> out.println("  " + m));
      if (check.mismatches().size() > 20) {
        out.println("  ... and " + (check.mismatches().size() - 20) + " more");
      }
    }
  }

  private void line(String label, String value, String note) {
    out.printf(Locale.ROOT, "%-26s %12s%s%n", label, value, note == null ? "" : "   " + note);
  }

  private static String lags(double[] ms) {
    return ms.length == 3
        ? String.format(Locale.ROOT, "p50 %s  p95 %s  p99 %s", ms(ms[0]), ms(ms[1]), ms(ms[2]))
        : "-";
  }

  static String ratio(long rows, long records) {
    return records == 0 ? "-" : String.format(Locale.ROOT, "%.1fx", rows / (double) records);
  }

  static String ms(double millis) {
    if (Double.isNaN(millis)) {
      return "-";
    }
    return millis < 10 ? String.format(Locale.ROOT, "%.1fms", millis)
        : String.format(Locale.ROOT, "%.0fms", millis);
  }

  static String shortId(UUID id) {
    return id.toString().substring(0, 8);
  }
}
