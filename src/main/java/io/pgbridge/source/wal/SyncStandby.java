package io.pgbridge.source.wal;

import java.util.Collection;
import java.util.Locale;

/**
 * Whether {@code synchronous_standby_names} would make the bridge's replication connection a
 * synchronous standby. A commit then waits for the slot's confirmation before it becomes
 * visible, while the bridge waits for it to become visible before marking its sessions:
 * writers and bridge wait for each other. Used by {@code pgbridge check} and at stream start.
 */
public final class SyncStandby {

  private SyncStandby() {}

  /** The {@code pg_stat_replication.sync_state} values of a standby commits may wait for. */
  static boolean waitedFor(String syncState) {
    return "sync".equals(syncState) || "quorum".equals(syncState)
        || "potential".equals(syncState);
  }

  /**
   * The entry of {@code synchronous_standby_names} that one of {@code applicationNames}
   * matches ({@code *} matches all; names compare case-insensitively, quoted or not, as
   * PostgreSQL's synchronous replication does), or
   * null. Understands {@code FIRST n (...)}, {@code ANY n (...)}, {@code n (...)} and plain
   * lists, with double-quoted names.
   */
  public static String match(String setting, Collection<String> applicationNames) {
    if (setting == null || setting.isBlank()) {
      return null;
    }
    String list = setting.strip();
    int open = list.indexOf('(');
    if (open >= 0 && list.endsWith(")")) {
      list = list.substring(open + 1, list.length() - 1);
    }
    for (String raw : list.split(",")) {
      String name = raw.strip();
      if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
        name = name.substring(1, name.length() - 1).replace("\"\"", "\"");
      }
      if (name.equals("*")) {
        return "'*'"; // quoted or not: PostgreSQL compares the unquoted name with *
      }
      for (String app : applicationNames) {
        if (app.toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
          return name;
        }
      }
    }
    return null;
  }
}
