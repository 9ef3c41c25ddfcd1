package io.pgbridge.coalesce;

import io.pgbridge.time.Backoff;
import io.pgbridge.time.Ticker;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Per-session debounce with a ceiling and single flight. The listener thread {@link #mark marks}
 * sessions dirty; worker threads {@link #awaitDue take} sessions that are due and
 * {@link #complete complete} them once Kafka acknowledged (or failed). When a session is due
 * depends on the {@link DebounceMode}: {@code LEADING} (a change to a session that published no
 * record within the last {@code window} is due at once; changes inside an open window are due
 * together when it ends) or {@code TRAILING} (due when no change arrived for {@code window}, or
 * {@code ceiling} after the first change not yet published, whichever is earlier). While a
 * session is in flight, new changes only mark it dirty again; it goes once more after
 * completion. Failed sessions are retried after a capped exponential backoff. Memory is one
 * entry per dirty or in-flight session, plus, in leading mode, one small entry per session that
 * published within the last window (its window end), whatever the number of notifications.
 *
 * <p>Every mark gets a sequence number. {@link #lowWatermark()} is the oldest sequence number
 * not yet covered by an acknowledged publish: a checkpoint whose barrier arrived at sequence
 * {@code b} is safe to store once the watermark is above {@code b}. A flight that found its
 * state already published covers its changes like a published one.
 *
 * <p>Thread-safe; one lock guards all state. Time comes from the injected {@link Ticker}.
 */
public final class SessionCoalescer {

  private static final long NONE = Long.MAX_VALUE;

  private final Ticker ticker;
  private final DebounceMode mode;
  private final long windowNanos;
  private final long ceilingNanos;
  private final Backoff retryBackoff;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Map<UUID, Entry> entries = new HashMap<>();
  /**
   * The oldest unpublished sequence number of every pending session (one per entry, or two
   * while changes arrive during a flight): the low watermark is its first element. Changes
   * only when a dirty period starts or ends, not per notification.
   */
  private final TreeSet<Long> pendingSeqs = new TreeSet<>();
  private final PriorityQueue<Entry> queue =
      new PriorityQueue<>((a, b) -> Long.compare(a.queuedDue, b.queuedDue));
  /**
   * Leading mode: the window end of sessions that published a record recently and have no
   * entry now, so that a change inside their window still waits for its end. In completion
   * order, pruned from the head once a window has passed.
   */
  private final Map<UUID, Long> windows = new HashMap<>();
  private final ArrayDeque<OpenWindow> windowOrder = new ArrayDeque<>();
  private long lastSeq;
  private int inFlight;
  private boolean flushing;

  private record OpenWindow(UUID id, long end) {}

  public SessionCoalescer(Ticker ticker, DebounceMode mode, long windowMs, long ceilingMs,
      Backoff retryBackoff) {
    if (windowMs < 0 || ceilingMs < windowMs) {
      throw new IllegalArgumentException("need 0 <= window <= ceiling");
    }
    this.ticker = ticker;
    this.mode = mode;
    this.windowNanos = TimeUnit.MILLISECONDS.toNanos(windowMs);
    this.ceilingNanos = TimeUnit.MILLISECONDS.toNanos(ceilingMs);
    this.retryBackoff = retryBackoff;
  }

  /** Records a change of {@code id} from {@code sources}; returns its sequence number. */
  public long mark(UUID id, long sources) {
    long now = ticker.nanos();
    lock.lock();
    try {
      long seq = ++lastSeq;
      Entry e = entries.get(id);
      if (e == null) {
        e = new Entry(id);
        entries.put(id, e);
        Long windowEnd = windows.remove(id);
        if (windowEnd != null) {
          e.windowEnd = windowEnd;
          e.hasWindow = true;
        }
      }
      if (!e.dirty) {
        e.dirty = true;
        e.firstMark = now;
        e.dirtySeq = seq;
        pendingSeqs.add(seq);
        e.sources = 0;
      }
      e.lastMark = now;
      e.sources |= sources;
      if (!e.inFlight && !e.queued) {
        enqueue(e);
      }
      return seq;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes up to {@code max} due sessions, waiting up to {@code timeoutNanos} for the first one.
   * Returned sessions are in flight until {@link #complete}d. Returns an empty list on timeout.
   */
  public List<DueSession> awaitDue(int max, long timeoutNanos) throws InterruptedException {
    lock.lock();
    try {
      long deadline = ticker.nanos() + timeoutNanos;
      while (true) {
        long now = ticker.nanos();
        List<DueSession> out = takeDue(max, now);
        if (!out.isEmpty()) {
          Entry next = queue.peek();
          if (next != null && next.queuedDue - now <= 0) {
            changed.signal(); // more is due than this worker takes: wake another one
          }
          return out;
        }
        long wait = deadline - now;
        if (wait <= 0) {
          return out;
        }
        Entry head = queue.peek();
        if (head != null) {
          wait = Math.min(wait, Math.max(head.queuedDue - now, 1));
        }
        changed.awaitNanos(wait);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Non-blocking {@link #awaitDue}: what is due now. */
  public List<DueSession> pollDue(int max) {
    lock.lock();
    try {
      return takeDue(max, ticker.nanos());
    } finally {
      lock.unlock();
    }
  }

  private List<DueSession> takeDue(int max, long now) {
    List<DueSession> out = new ArrayList<>(Math.min(max, 64));
    pruneWindows(now);
    while (out.size() < max) {
      Entry e = queue.peek();
      if (e == null || e.queuedDue - now > 0) {
        break;
      }
      queue.poll();
      e.queued = false;
      long due = dueAt(e);
      if (due - now > 0) {
        e.queuedDue = due;
        e.queued = true;
        queue.add(e);
        continue;
      }
      e.dirty = false;
      e.inFlight = true;
      e.flightSeq = e.dirtySeq;
      e.dirtySeq = NONE;
      e.flightSources = e.sources;
      e.flightFirstMark = e.firstMark;
      e.flightTakenAt = now;
      inFlight++;
      out.add(new DueSession(e.id, e.flightSources, e.flightFirstMark));
    }
    return out;
  }

  /**
   * Ends the flight of {@code id}: {@code true} for {@link Completion#PUBLISHED}, {@code false}
   * for {@link Completion#FAILED}.
   */
  public void complete(UUID id, boolean success) {
    complete(id, success ? Completion.PUBLISHED : Completion.FAILED);
  }

  /**
   * Ends the flight of {@code id}. Published, refreshed or unchanged: the changes it covered are
   * done, and a published record opens the session's leading-edge window (from the moment the
   * flight was taken). Failed: they are merged back and retried after a backoff. Changes that arrived
   * meanwhile go next.
   */
  public void complete(UUID id, Completion completion) {
    lock.lock();
    try {
      Entry e = entries.get(id);
      if (e == null || !e.inFlight) {
        throw new IllegalStateException("session " + id + " is not in flight");
      }
      e.inFlight = false;
      inFlight--;
      long now = ticker.nanos();
      if (completion != Completion.FAILED) {
        e.failures = 0;
        e.retryAt = 0;
        if (completion == Completion.PUBLISHED && mode == DebounceMode.LEADING) {
          long end = e.flightTakenAt + windowNanos;
          if (!e.hasWindow || end - e.windowEnd > 0) {
            e.windowEnd = end;
            e.hasWindow = true;
          }
        }
      } else {
        e.failures++;
        e.retryAt = now + retryBackoff.delayNanos(e.failures);
        if (e.dirty) {
          e.firstMark = earlier(e.firstMark, e.flightFirstMark);
        } else {
          e.dirty = true;
          e.firstMark = e.flightFirstMark;
          e.lastMark = e.flightFirstMark;
          e.sources = 0;
        }
        long keep = Math.min(e.dirtySeq, e.flightSeq);
        long drop = Math.max(e.dirtySeq, e.flightSeq);
        if (drop != NONE) {
          pendingSeqs.remove(drop);
        }
        e.dirtySeq = keep;
        e.flightSeq = NONE;
        e.sources |= e.flightSources;
      }
      if (e.flightSeq != NONE) {
        pendingSeqs.remove(e.flightSeq);
      }
      e.flightSeq = NONE;
      if (e.dirty) {
        enqueue(e);
      } else {
        entries.remove(id);
        if (e.hasWindow && e.windowEnd - now > 0) {
          windows.put(id, e.windowEnd);
          windowOrder.addLast(new OpenWindow(id, e.windowEnd));
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** Forgets windows that have ended; the head is the oldest completion. */
  private void pruneWindows(long now) {
    OpenWindow w;
    while ((w = windowOrder.peekFirst()) != null && w.end() - now <= 0) {
      windowOrder.pollFirst();
      windows.remove(w.id(), w.end());
    }
  }

  /** Makes every dirty session due now (shutdown): the debounce no longer waits. */
  public void flush() {
    lock.lock();
    try {
      flushing = true;
      List<Entry> queued = new ArrayList<>(queue);
      queue.clear();
      for (Entry e : queued) {
        e.queuedDue = ticker.nanos();
        queue.add(e);
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The highest sequence number handed out so far. */
  public long lastSeq() {
    lock.lock();
    try {
      return lastSeq;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The oldest sequence number not yet covered by a successful publish, or
   * {@code lastSeq() + 1} when nothing is pending.
   */
  public long lowWatermark() {
    lock.lock();
    try {
      return pendingSeqs.isEmpty() ? lastSeq + 1 : pendingSeqs.first();
    } finally {
      lock.unlock();
    }
  }

  /** Sessions with unpublished changes that are not in flight. */
  public int dirtyCount() {
    lock.lock();
    try {
      return entries.size() - inFlight + countDirtyInFlight();
    } finally {
      lock.unlock();
    }
  }

  private int countDirtyInFlight() {
    if (inFlight == 0) {
      return 0;
    }
    int n = 0;
    for (Entry e : entries.values()) {
      if (e.inFlight && e.dirty) {
        n++;
      }
    }
    return n;
  }

  /** Leading mode: sessions without an entry whose window is still remembered (tests). */
  int openWindows() {
    lock.lock();
    try {
      return windows.size();
    } finally {
      lock.unlock();
    }
  }

  /** Sessions currently being fetched and published. */
  public int inFlightCount() {
    lock.lock();
    try {
      return inFlight;
    } finally {
      lock.unlock();
    }
  }

  /** Dirty plus in-flight sessions: everything not yet acknowledged. */
  public int pendingCount() {
    lock.lock();
    try {
      return entries.size();
    } finally {
      lock.unlock();
    }
  }

  /** Wakes waiting workers (shutdown). */
  public void wakeUp() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void enqueue(Entry e) {
    e.queuedDue = dueAt(e);
    e.queued = true;
    Entry head = queue.peek();
    queue.add(e);
    if (head == null || e.queuedDue - head.queuedDue < 0) {
      changed.signal();
    }
  }

  private long dueAt(Entry e) {
    long due;
    if (flushing) {
      due = e.lastMark;
    } else if (mode == DebounceMode.TRAILING) {
      due = earlier(e.lastMark + windowNanos, e.firstMark + ceilingNanos);
    } else {
      // leading: at once, unless this dirty period began inside a window a published record
      // opened; then when that window ends (never later than the ceiling)
      boolean inWindow = e.hasWindow && e.windowEnd - e.firstMark > 0;
      due = earlier(inWindow ? e.windowEnd : e.firstMark, e.firstMark + ceilingNanos);
    }
    if (e.retryAt != 0 && e.retryAt - due > 0) {
      due = e.retryAt;
    }
    return due;
  }

  /** The earlier of two ticker readings; compares their difference, as nanoTime requires. */
  private static long earlier(long a, long b) {
    return a - b < 0 ? a : b;
  }

  private static final class Entry {
    final UUID id;
    boolean dirty;
    boolean inFlight;
    boolean queued;
    long queuedDue;
    long firstMark;
    long lastMark;
    long sources;
    long dirtySeq = NONE;
    long flightSeq = NONE;
    long flightSources;
    long flightFirstMark;
    long flightTakenAt;
    /** Leading mode: end of the window opened by the last published record, if any. */
    boolean hasWindow;
    long windowEnd;
    int failures;
    long retryAt;

    Entry(UUID id) {
      this.id = id;
    }
  }
}
