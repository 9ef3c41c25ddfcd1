package io.pgbridge.source.wal;

import java.util.Arrays;

/**
 * Whether a committed transaction is visible to a new snapshot yet: a transaction's commit
 * reaches the WAL (and so the replication stream) a moment before it leaves the ProcArray, and
 * with synchronous replication much longer before. A session marked before its transaction is
 * visible could be fetched without the change. Built from the text of
 * {@code pg_current_snapshot()} ({@code xmin:xmax:xip,...}, 64-bit ids); the stream's ids are
 * the 32-bit ones, widened to the 64-bit id nearest to {@code xmax}. Immutable.
 */
final class SnapshotVisibility {

  private final long xmin;
  private final long xmax;
  private final long[] xip;

  private SnapshotVisibility(long xmin, long xmax, long[] xip) {
    this.xmin = xmin;
    this.xmax = xmax;
    this.xip = xip;
  }

  /** Parses {@code pg_current_snapshot()::text}. */
  static SnapshotVisibility parse(String snapshot) {
    String[] parts = snapshot.split(":", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException("not a pg_snapshot: " + snapshot);
    }
    long[] xip = parts[2].isEmpty() ? new long[0]
        : Arrays.stream(parts[2].split(",")).mapToLong(Long::parseUnsignedLong).sorted()
            .toArray();
    return new SnapshotVisibility(Long.parseUnsignedLong(parts[0]),
        Long.parseUnsignedLong(parts[1]), xip);
  }

  /** Whether the transaction with 32-bit id {@code xid} is visible in this snapshot. */
  boolean visible(int xid) {
    long full = (xmax & ~0xFFFF_FFFFL) | (xid & 0xFFFF_FFFFL);
    // the 64-bit id nearest to xmax: running and recent transactions are within 2^31 of it
    if (full - xmax > 1L << 31) {
      full -= 1L << 32;
    } else if (xmax - full > 1L << 31) {
      full += 1L << 32;
    }
    if (full < xmin) {
      return true;
    }
    return full < xmax && Arrays.binarySearch(xip, full) < 0;
  }
}
