package io.pgbridge.bench;

import java.util.List;
import java.util.Locale;

/** Text renderings of {@link PeerResult}s: one console line, and a markdown table. */
final class Report {

  private Report() {}

  static String row(PeerResult r) {
    return String.format(Locale.ROOT, "[%s] rows/s %.0f, notif/s %s, records/s %.0f, records/row"
        + " %.3f, lag p50/p95/p99/max %.1f/%.1f/%.1f/%.1f ms (never seen %d), own notification to"
        + " ack p50/p95/p99 %s ms, JVM CPU %.1f ms"
        + " and DB CPU %s ms per 1000 records, heap %.1f MB, final state %s (%d/%d wrong),"
        + " drain %.1f s; threads: %s; %s", r.peer(), r.rowChangesPerSec(),
        na(r.notificationsPerSec()), r.recordsPerSec(), r.recordsPerRowChange(), r.lagP50Ms(),
        r.lagP95Ms(), r.lagP99Ms(), r.lagMaxMs(), r.versionsNeverSeen(), ownLag(r),
        r.jvmCpuMsPer1000Records(), na(r.dbCpuMsPer1000Records()), r.heapRetainedMb(),
        r.finalStateOk() ? "OK" : "LOST", r.finalStateMismatches(), r.sessionsChecked(),
        r.drainSeconds(), r.topThreads(), r.notes());
  }

  static String markdown(List<PeerResult> results) {
    StringBuilder sb = new StringBuilder();
    sb.append("| peer | row changes/s | notifications/s | records/s | records per row change"
        + " | lag p50 ms | p95 | p99 | max | versions never seen"
        + " | notification to ack p50 / p95 / p99 ms | JVM CPU ms / 1000 rec"
        + " | DB CPU ms / 1000 rec | alloc MB / 1000 rec | heap MB | final state | load |\n");
    sb.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|\n");
    for (PeerResult r : results) {
      sb.append(String.format(Locale.ROOT,
          "| %s | %.0f | %s | %.0f | %.3f | %.1f | %.1f | %.1f | %.1f | %d | %s | %.1f | %s | %.2f"
              + " | %.1f | %s | %s |%n", r.peer(), r.rowChangesPerSec(),
          na(r.notificationsPerSec()), r.recordsPerSec(), r.recordsPerRowChange(), r.lagP50Ms(),
          r.lagP95Ms(), r.lagP99Ms(), r.lagMaxMs(), r.versionsNeverSeen(), ownLag(r),
          r.jvmCpuMsPer1000Records(), na(r.dbCpuMsPer1000Records()),
          r.allocatedMbPer1000Records(), r.heapRetainedMb(),
          r.finalStateOk() ? "all " + r.sessionsChecked() + " OK"
              : r.finalStateMismatches() + " of " + r.sessionsChecked() + " lost",
          r.loadAverage()));
    }
    return sb.toString();
  }

  private static String ownLag(PeerResult r) {
    return r.notificationToAckP50Ms() < 0 ? "n/a" : String.format(Locale.ROOT,
        "%.1f / %.1f / %.1f", r.notificationToAckP50Ms(), r.notificationToAckP95Ms(),
        r.notificationToAckP99Ms());
  }

  private static String na(double v) {
    return v < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f", v);
  }
}
