package io.pgbridge.source.wal;

import io.pgbridge.time.Ticker;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * Which WAL position the slot may confirm. Every transaction received is registered at its
 * commit, in stream (commit) order, with its end LSN; once its marks are made it is told the
 * sequence number of its last mark. The confirmed flush LSN is the largest end LSN of a
 * transaction that, with every transaction before it, has its last mark below the coalescer's
 * low watermark: all of their sessions' records are acknowledged by Kafka. With nothing
 * pending and no transaction half received, it is the last position received (keepalives), so
 * that WAL of unpublished tables is not retained. It never moves back. Also paces the status
 * updates (at most one per interval) and times how long the position has owed progress.
 *
 * <p>Memory stays bounded while Kafka lags: beyond {@code maxEntries} entries a new
 * transaction joins the newest entry instead of adding one. A merged entry is confirmed at its
 * last transaction's end LSN once every transaction in it is applied and its largest last mark
 * is below the low watermark; confirming needs the head and everything before it anyway, so
 * merging only makes the position advance in coarser steps, never past an unpublished
 * transaction.
 * Pure logic on the source's thread; not thread-safe (its {@link #confirmed()} is volatile for
 * {@code /status}).
 */
final class FlushTracker {

  /** A transaction that is never confirmed on this connection (changes seen while draining). */
  static final long NEVER = Long.MAX_VALUE;
  /** A transaction without marks. */
  static final long NO_MARKS = 0;

  /** Entries kept before new transactions join the newest one. */
  static final int MAX_ENTRIES = 10_000;

  /**
   * One received transaction, or a run of consecutive ones merged: its last end LSN, the
   * largest last mark of those applied, and how many are not yet applied. A transaction that
   * joined another entry answers with that entry ({@link #group}).
   */
  static final class Entry {
    final Entry group;
    long endLsn;
    long lastSeq = -1;
    int unapplied = 1;
    long transactions = 1;

    Entry(long endLsn) {
      this.group = this;
      this.endLsn = endLsn;
    }

    private Entry(Entry group) {
      this.group = group;
    }

    boolean applied() {
      return unapplied == 0;
    }
  }

  private final Ticker ticker;
  private final long intervalNanos;
  private final int maxEntries;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private long transactions;
  private volatile long confirmed;
  private long lastStatusNanos;
  private boolean statusSent;
  private long owingSince;
  private boolean owing;

  FlushTracker(Ticker ticker, long statusIntervalMs) {
    this(ticker, statusIntervalMs, MAX_ENTRIES);
  }

  FlushTracker(Ticker ticker, long statusIntervalMs, int maxEntries) {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be positive: " + maxEntries);
    }
    this.ticker = ticker;
    this.maxEntries = maxEntries;
    this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(statusIntervalMs);
  }

  /** A new connection, streaming from the slot's {@code confirmedLsn}: nothing is pending. */
  void reset(long confirmedLsn) {
    entries.clear();
    transactions = 0;
    confirmed = confirmedLsn;
    statusSent = false;
    owing = false;
  }

  /** A transaction's commit arrived; its marks follow once it is visible. */
  Entry committed(long endLsn) {
    transactions++;
    if (entries.size() >= maxEntries) {
      Entry newest = entries.peekLast();
      newest.endLsn = Math.max(newest.endLsn, endLsn);
      newest.unapplied++;
      newest.transactions++;
      return new Entry(newest);
    }
    Entry e = new Entry(endLsn);
    entries.addLast(e);
    return e;
  }

  /**
   * Every mark of {@code e}'s transaction is made; {@code lastSeq} is the last one's sequence
   * number ({@link #NO_MARKS} when it made none, {@link #NEVER} to hold the position before it).
   */
  void applied(Entry e, long lastSeq) {
    if (lastSeq < 0) {
      throw new IllegalArgumentException("sequence numbers are positive: " + lastSeq);
    }
    Entry g = e.group;
    if (g.unapplied <= 0) {
      throw new IllegalStateException("every transaction of this entry is applied already");
    }
    g.lastSeq = Math.max(g.lastSeq, lastSeq);
    g.unapplied--;
  }

  /** Entries held (transactions, or runs of them merged); at most {@code maxEntries}. */
  int pending() {
    return entries.size();
  }

  /** Transactions received and not yet confirmed (the source stops reading above a cap). */
  long pendingTransactions() {
    return transactions;
  }

  /**
   * Advances the confirmed position as far as {@code lowWatermark} allows; {@code receivedLsn}
   * is the last position the stream reported, {@code txnOpen} whether a transaction's Begin
   * came without its Commit yet. Returns the confirmed position.
   */
  long advance(long lowWatermark, long receivedLsn, boolean txnOpen) {
    long before = confirmed;
    long next = before;
    while (!entries.isEmpty()) {
      Entry head = entries.peekFirst();
      if (!head.applied() || head.lastSeq >= lowWatermark) {
        break;
      }
      next = Math.max(next, head.endLsn);
      entries.pollFirst();
      transactions -= head.transactions;
    }
    if (entries.isEmpty() && !txnOpen) {
      next = Math.max(next, receivedLsn);
    }
    confirmed = next;
    long now = ticker.nanos();
    boolean owes = !entries.isEmpty() || txnOpen || receivedLsn > next;
    if (next > before || !owing) {
      owingSince = now;
    }
    owing = owes;
    return next;
  }

  long confirmed() {
    return confirmed;
  }

  /** Seconds since the confirmed position last advanced while it owed progress; 0 if none. */
  double owedSeconds() {
    return owing ? (ticker.nanos() - owingSince) / 1e9 : 0;
  }

  /** Whether a status update is due: none sent yet on this connection, or the interval passed. */
  boolean statusDue() {
    return !statusSent || ticker.nanos() - lastStatusNanos >= intervalNanos;
  }

  /** A status update was sent now. */
  void statusSent() {
    statusSent = true;
    lastStatusNanos = ticker.nanos();
  }
}
