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
  public static final long REQUEST = 1L << 60;
  public static final String REQUEST_NAME = "request";

  /**
   * A row change notified for a table that is not configured (a trigger created by hand, or
   * by an older migration, with another table name): routed by its session id alone, so that
   * no checkpoint passes a change that was never published.
   */
  public static final long UNROUTED = 1L << 62;
  public static final String UNROUTED_NAME = "unrouted";
  /** {@link #UNROUTED} for a DELETE: the session's missing row deserves a tombstone. */
  public static final long UNROUTED_DELETE = 1L << 61;

  /** Row operations as they appear in TG_OP. */
  public enum Op { INSERT, UPDATE, DELETE }

  private static final int OPS = Op.values().length;
  private final List<String> tables;

  /**
   * {@code tables}: the sessions table first, then the child tables; at most 19, so that their
   * bits (1 to 57) stay below the flags above.
   */
  public ChangeSources(List<String> tables) {
    if (tables.isEmpty() || tables.size() > 19) {
      throw new IllegalArgumentException("between 1 and 19 tables, got " + tables.size());
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
    if ((mask & UNROUTED) != 0) {
      out.add(UNROUTED_NAME + ((mask & UNROUTED_DELETE) != 0 ? ":DELETE" : ""));
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
