package io.pgbridge.helm;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Prometheus series pgbridge exposes, as promised to operators; alerts and dashboards may
 * reference nothing else. Kept here until the production code has a constants class to read.
 * Also a small PromQL scanner that lists the metric names an expression selects.
 */
final class MetricsContract {

  static final Set<String> COUNTERS = Set.of(
      "pgbridge_notifications_received_total",
      "pgbridge_notifications_malformed_total",
      "pgbridge_records_published_total",
      "pgbridge_records_skipped_total",
      "pgbridge_tombstones_published_total",
      "pgbridge_records_deadlettered_total",
      "pgbridge_catchup_sessions_total",
      "pgbridge_listener_reconnects_total",
      "pgbridge_errors_total",
      "pgbridge_heartbeats_total",
      "pgbridge_republish_sessions_total",
      "pgbridge_republish_requests_completed_total",
      "pgbridge_wal_changes_total",
      "pgbridge_wal_slot_recreated_total");

  static final Set<String> GAUGES = Set.of(
      "pgbridge_dirty_sessions",
      "pgbridge_inflight_sessions",
      "pgbridge_listener_connected",
      "pgbridge_leader",
      "pgbridge_checkpoint_age_seconds",
      "pgbridge_notification_queue_usage_ratio",
      "pgbridge_build_info",
      "pgbridge_last_notification_age_seconds",
      "pgbridge_last_ack_age_seconds",
      "pgbridge_source_info",
      "pgbridge_wal_slot_lag_bytes",
      "pgbridge_wal_retained_bytes",
      "pgbridge_wal_confirmed_lsn_age_seconds");

  static final Set<String> HISTOGRAMS = Set.of(
      "pgbridge_lag_notification_to_ack_seconds",
      "pgbridge_lag_commit_to_ack_seconds",
      "pgbridge_lag_notification_to_fetch_seconds",
      "pgbridge_fetch_duration_seconds",
      "pgbridge_produce_duration_seconds");

  /** Prefixes of families exported by libraries (Kafka producer, JVM), not named one by one. */
  static final Set<String> LIBRARY_PREFIXES = Set.of("kafka_producer_", "jvm_", "hikaricp_");

  private static final Set<String> KEYWORDS = Set.of(
      "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
      "group_right", "inf", "nan");

  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'");
  private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
  private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
  private static final Pattern GROUPING = Pattern.compile(
      "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER =
      Pattern.compile("(?<![A-Za-z0-9_:.$])[A-Za-z_:][A-Za-z0-9_:]*");

  private MetricsContract() {}

  static boolean isKnown(String metric) {
    if (COUNTERS.contains(metric) || GAUGES.contains(metric)) {
      return true;
    }
    for (String suffix : new String[] {"_bucket", "_sum", "_count"}) {
      if (metric.endsWith(suffix)
          && HISTOGRAMS.contains(metric.substring(0, metric.length() - suffix.length()))) {
        return true;
      }
    }
    return LIBRARY_PREFIXES.stream().anyMatch(metric::startsWith);
  }

  /** Metric names selected by a PromQL expression (functions, keywords and labels left out). */
  static Set<String> metricsIn(String promql) {
    String s = STRING.matcher(promql).replaceAll(" ");
    s = MATCHERS.matcher(s).replaceAll(" ");
    s = RANGE.matcher(s).replaceAll(" ");
    s = GROUPING.matcher(s).replaceAll(" ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(s);
    while (m.find()) {
      String token = m.group();
      int next = m.end();
      while (next < s.length() && Character.isWhitespace(s.charAt(next))) {
        next++;
      }
      boolean isFunction = next < s.length() && s.charAt(next) == '(';
      if (!isFunction && !KEYWORDS.contains(token.toLowerCase())) {
        names.add(token);
      }
    }
    return names;
  }
}
