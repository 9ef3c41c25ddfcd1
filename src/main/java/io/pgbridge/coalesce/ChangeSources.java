package io.pgbridge.coalesce;

import java.util.List;
import java.util.StringJoiner;

/**
 * The tables and operations that can make a session dirty, encoded as bits of a {@code long} so
 * that the coalescer can merge the sources of many notifications without allocating. Bit 0 is
 * catch-up; then one bit per (table, operation). Immutable and thread-safe.
 */
public final class ChangeSources {

  public static final long CATCHUP = 1L;
  public static final String CATCHUP_NAME = "catchup";
  /**
   * Publish even if the version was already acknowledged: the settle pass after a takeover,
   * when a late record of the previous leader may have landed after ours.
   */
  public static final long REPUBLISH = 1L << 63;
  public static final String REPUBLISH_NAME = "republish";
  /**
   * Marked by an operator's republish request ({@code pgbridge republish}); with
   * {@link #REPUBLISH}. A session named by a request that has no row gets its tombstone.
   */
  public static final long REQUEST = 1L << 62;
  public static final String REQUEST_NAME = "request";

  /** Row operations as they appear in TG_OP. */
  public enum Op { INSERT, UPDATE, DELETE }

  private static final int OPS = Op.values().length;
  private final List<String> tables;

  /** {@code tables}: the sessions table first, then the child tables; at most 20. */
  public ChangeSources(List<String> tables) {
    if (tables.isEmpty() || tables.size() > 20) {
      throw new IllegalArgumentException("between 1 and 20 tables, got " + tables.size());
    }
    this.tables = List.copyOf(tables);
  }

  public List<String> tables() {
    return tables;
  }

  /** Index of {@code table}, or -1 if it is not one of ours. */
  public int tableIndex(String table) {
    return tables.indexOf(table);
  }

  /** The bit for a table index and operation. */
  public static long bit(int tableIndex, Op op) {
    return 1L << (1 + tableIndex * OPS + op.ordinal());
  }

  /** {@code "catchup,generation_todos:INSERT,generation_sessions:UPDATE"} for a mask. */
  public String describe(long mask) {
    StringJoiner out = new StringJoiner(",");
    if ((mask & CATCHUP) != 0) {
      out.add(CATCHUP_NAME);
    }
    if ((mask & REPUBLISH) != 0) {
      out.add(REPUBLISH_NAME);
    }
    if ((mask & REQUEST) != 0) {
      out.add(REQUEST_NAME);
    }
    for (int t = 0; t < tables.size(); t++) {
      for (Op op : Op.values()) {
        if ((mask & bit(t, op)) != 0) {
          out.add(tables.get(t) + ':' + op.name());
        }
      }
    }
    return out.toString();
  }
}
