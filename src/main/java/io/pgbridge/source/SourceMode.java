package io.pgbridge.source;

import java.util.Locale;

/** {@code source.mode}: where the bridge learns of changes. */
public enum SourceMode {
  /** Triggers send {@code pg_notify}; the bridge LISTENs. No special server settings. */
  NOTIFY,
  /** A logical replication slot reads a publication; writers pay no NOTIFY commit lock. */
  WAL;

  /** The configuration value: {@code notify} or {@code wal}. */
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a configuration value, case-insensitively. */
  public static SourceMode of(String value) {
    for (SourceMode m : values()) {
      if (m.value().equalsIgnoreCase(value.trim())) {
        return m;
      }
    }
    throw new IllegalArgumentException("source.mode must be notify or wal, not '" + value + "'");
  }
}
