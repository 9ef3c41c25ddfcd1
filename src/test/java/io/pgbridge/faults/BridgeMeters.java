package io.pgbridge.faults;

import io.micrometer.core.instrument.Counter;
import io.pgbridge.Bridge;

/**
 * Counters of an in-process {@link Bridge} by their Micrometer name, summed over every series
 * ({@code pgbridge.wal.changes} is {@code pgbridge_wal_changes_total} on {@code /metrics});
 * 0 when the bridge registered none.
 */
final class BridgeMeters {

  private BridgeMeters() {}

  static double sum(Bridge bridge, String name) {
    return bridge.metrics().registry().find(name).counters().stream()
        .mapToDouble(Counter::count).sum();
  }

  static double sum(Bridge bridge, String name, String tag, String value) {
    return bridge.metrics().registry().find(name).tag(tag, value).counters().stream()
        .mapToDouble(Counter::count).sum();
  }
}
