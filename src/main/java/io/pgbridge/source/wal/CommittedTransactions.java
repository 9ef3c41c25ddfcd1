package io.pgbridge.source.wal;

import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.ChangeSources.Op;
import io.pgbridge.coalesce.SessionCoalescer;
import io.pgbridge.source.wal.ChangeRouter.Mark;
import io.pgbridge.time.Ticker;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Received transactions between their commit and their marks, in commit order. A transaction
 * with changes is marked only once its xid is visible to a new snapshot: its commit reaches the
 * stream a moment before it leaves the ProcArray (with synchronous replication much longer), and
 * a session fetched before would be fetched without the change. One snapshot answers for every
 * waiting transaction; while the oldest is still invisible, checks back off 1, 2, 5, then every
 * 10 ms, and nothing is queried while nothing waits. Barriers reach the checkpointer after the
 * marks before them; a truncate of the sessions table walks the deletion log one page per
 * {@link #apply()}, and the transactions after it wait. Each applied transaction tells the
 * {@link FlushTracker} its last mark. Pure logic on the source's thread; not thread-safe.
 */
final class CommittedTransactions {

  private static final Logger log = LoggerFactory.getLogger(CommittedTransactions.class);
  private static final long[] BACKOFF_MS = {1, 2, 5, 10};
  private static final long TRUNCATE_BITS = ChangeSources.bit(0, Op.DELETE);

  /** {@code pg_current_snapshot()::text}, read now. */
  @FunctionalInterface
  interface Snapshots {
    String current() throws SQLException;
  }

  /** The deletion log: the stored checkpoint to walk from, and its pages. */
  interface DeletionLog {
    /** The stored checkpoint's snapshot, or null (every logged deletion). */
    String since() throws SQLException;

    List<UUID> page(String since, UUID after, int limit) throws SQLException;
  }

  /** What a change that names no session is reported to. */
  @FunctionalInterface
  interface Unroutable {
    void report(String table, Op op, String why);
  }

  private final SessionCoalescer coalescer;
  private final WalSource.BarrierSink barriers;
  private final Snapshots snapshots;
  private final DeletionLog deletions;
  private final FlushTracker tracker;
  private final Unroutable unroutable;
  private final Ticker ticker;
  private final int pageSize;
  private final int backlogLimit;
  private final ArrayDeque<Txn> queue = new ArrayDeque<>();
  private volatile boolean draining;
  private int queuedMarks;
  private int attempt;
  private long nextCheck;
  private long invisibleSince;
  private boolean checkDue = true;
  private String walkSince;
  private UUID walkAfter;
  private boolean walking;

  CommittedTransactions(SessionCoalescer coalescer, WalSource.BarrierSink barriers,
      Snapshots snapshots, DeletionLog deletions, FlushTracker tracker, Unroutable unroutable,
      Ticker ticker, int pageSize) {
    this.coalescer = coalescer;
    this.barriers = barriers;
    this.snapshots = snapshots;
    this.deletions = deletions;
    this.tracker = tracker;
    this.unroutable = unroutable;
    this.ticker = ticker;
    this.pageSize = pageSize;
    this.backlogLimit = Math.max(1_000, 2 * pageSize);
  }

  /** A new connection: what the previous one received is sent again. */
  void clear() {
    queue.clear();
    queuedMarks = 0;
    attempt = 0;
    checkDue = true;
    walking = false;
  }

  /**
   * Shutdown: changes received from now on are not marked, and their transactions are never
   * confirmed on this connection, so that the next leader streams them again. Barriers still
   * arrive. Any thread.
   */
  void drain() {
    draining = true;
  }

  /** A transaction's Begin: the router marks into it until its commit. */
  Txn begin(int xid) {
    return new Txn(xid);
  }

  /** Its Commit arrived: it waits for its turn and its visibility. */
  void commit(Txn t, long endLsn) {
    t.entry = tracker.committed(endLsn);
    queue.addLast(t);
    queuedMarks += t.marks;
  }

  /** Distinct sessions waiting in committed transactions (the source stops reading above a cap). */
  int queuedMarks() {
    return queuedMarks;
  }

  int waiting() {
    return queue.size();
  }

  /** When the next visibility check may run (ticker time), while a transaction waits for one. */
  long nextCheck() {
    return nextCheck;
  }

  /** How long the oldest transaction has been committed and still invisible (0 if it is not). */
  long invisibleNanos() {
    return attempt == 0 || queue.isEmpty() ? 0 : ticker.nanos() - invisibleSince;
  }

  /**
   * Applies what it can: marks the transactions that are visible now, oldest first, up to the
   * first invisible one or a deletion-log walk with pages left. Returns whether it marked,
   * delivered or finished anything.
   */
  boolean apply() throws SQLException {
    boolean progress = false;
    while (!queue.isEmpty()) {
      Txn t = queue.peekFirst();
      if (t.hasChanges && !t.visible && !checkVisibility()) {
        break;
      }
      long before = coalescer.lastSeq();
      boolean done = t.applyStep();
      progress |= coalescer.lastSeq() != before;
      if (!done) {
        break;
      }
      queue.pollFirst();
      queuedMarks -= t.marks;
      tracker.applied(t.entry, t.drained ? FlushTracker.NEVER : t.lastSeq);
      progress = true;
    }
    return progress;
  }

  /** One snapshot for every waiting transaction, if due; true when the oldest is visible. */
  private boolean checkVisibility() throws SQLException {
    long now = ticker.nanos();
    if (!checkDue && nextCheck - now > 0) {
      return false;
    }
    SnapshotVisibility snapshot = SnapshotVisibility.parse(snapshots.current());
    for (Txn t : queue) {
      if (!t.visible && snapshot.visible(t.xid)) {
        t.visible = true;
      }
    }
    if (queue.peekFirst().visible) {
      attempt = 0;
      checkDue = true;
      return true;
    }
    checkDue = false;
    if (attempt == 0) {
      invisibleSince = now;
    }
    nextCheck = now + TimeUnit.MILLISECONDS.toNanos(BACKOFF_MS[Math.min(attempt,
        BACKOFF_MS.length - 1)]);
    attempt++;
    return false;
  }

  /** One page of the deletion-log walk; true once the walk is complete. */
  private boolean walkPage(Txn t) throws SQLException {
    if (!walking) {
      walking = true;
      walkSince = deletions.since();
      walkAfter = null;
      log.info("the sessions table was truncated: marking every session deleted since {}",
          walkSince == null ? "the beginning of the deletion log" : walkSince);
    }
    if (coalescer.pendingCount() >= backlogLimit) {
      return false; // the backlog drains first
    }
    List<UUID> page = deletions.page(walkSince, walkAfter, pageSize);
    for (UUID id : page) {
      t.lastSeq = coalescer.mark(id, TRUNCATE_BITS);
    }
    if (page.size() < pageSize) {
      walking = false;
      return true;
    }
    walkAfter = page.get(page.size() - 1);
    return false;
  }

  /** A barrier inside a transaction, after the marks before it. */
  private record Barrier(String id) {}

  /** The truncate of the sessions table, where it came in its transaction. */
  private static final Object TRUNCATE_SESSIONS = new Object();

  /**
   * One transaction: its marks (one per session and segment, merged), barriers and truncate in
   * stream order, and how far applying them has come.
   */
  final class Txn implements ChangeRouter.Sink {
    final int xid;
    private final List<Object> segments = new ArrayList<>();
    private LinkedHashMap<UUID, Long> markSegment;
    private int marks;
    private boolean hasChanges;
    private boolean truncates;
    private boolean visible;
    private boolean drained;
    private long lastSeq = FlushTracker.NO_MARKS;
    private int next;
    private FlushTracker.Entry entry;
    private String unkeyedTable;

    private Txn(int xid) {
      this.xid = xid;
    }

    @Override
    public void mark(Mark mark) {
      if (draining) {
        drained = true;
        return;
      }
      hasChanges = true;
      if (markSegment == null) {
        markSegment = new LinkedHashMap<>();
        segments.add(markSegment);
      }
      Long before = markSegment.putIfAbsent(mark.sessionId(), mark.bits());
      if (before == null) {
        marks++;
      } else {
        markSegment.put(mark.sessionId(), before | mark.bits());
      }
    }

    @Override
    public void unroutable(String table, Op op, String why) {
      unroutable.report(table, op, why);
    }

    @Override
    public void unkeyed(String table, Op op, String why) {
      unroutable.report(table, op, why);
      if (draining) {
        drained = true;
      } else if (unkeyedTable == null) {
        unkeyedTable = table;
      }
    }

    /** The table of a change whose old key named no session (see {@link #unkeyed}), or null. */
    String unkeyedTable() {
      return unkeyedTable;
    }

    /** A transactional barrier message. */
    void barrier(String id) {
      segments.add(new Barrier(id));
      markSegment = null;
    }

    /**
     * The sessions table was truncated (a pgoutput TRUNCATE, or the trigger's message): one walk
     * per transaction sees every deletion it logged.
     */
    void truncate() {
      if (draining) {
        drained = true;
        return;
      }
      if (truncates) {
        return;
      }
      truncates = true;
      hasChanges = true;
      segments.add(TRUNCATE_SESSIONS);
      markSegment = null;
    }

    /** Applies what it can; false while a deletion-log walk has pages left. */
    @SuppressWarnings("unchecked")
    private boolean applyStep() throws SQLException {
      while (next < segments.size()) {
        Object s = segments.get(next);
        if (s instanceof Barrier b) {
          barriers.barrierArrived(b.id(), coalescer.lastSeq());
        } else if (s == TRUNCATE_SESSIONS) {
          if (!walkPage(this)) {
            return false;
          }
        } else {
          for (Map.Entry<UUID, Long> e : ((Map<UUID, Long>) s).entrySet()) {
            lastSeq = coalescer.mark(e.getKey(), e.getValue());
          }
        }
        next++;
      }
      return true;
    }
  }
}
