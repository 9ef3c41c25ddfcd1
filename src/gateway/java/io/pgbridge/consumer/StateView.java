package io.pgbridge.consumer;

import io.pgbridge.consumer.RecordDecoder.Decoded;
import io.pgbridge.consumer.RecordDecoder.InvalidRecordException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The current-state view of the state topic: the consumer rules in one place. Per key it keeps
 * the highest version seen and ignores a record whose version is not higher (a duplicate after a
 * bridge recovery, or a late record); a tombstone deletes the session whatever its version and
 * resets the rule, so the records of a session re-created with the same id are applied after it
 * even if its versions start again. Records that break the contract are skipped and counted.
 * Memory follows the {@link RetentionPolicy}.
 *
 * <p>One writer: {@link #apply} and {@link #expire} are called by one thread (the consumer
 * thread of {@link StateMaterializer}); listeners run on it. Every read method may be called
 * from any thread at any time.
 */
public final class StateView {

  private static final Logger log = LoggerFactory.getLogger(StateView.class);

  /** What {@link #apply} did with a record. */
  public enum Outcome {
    APPLIED, DUPLICATE, DELETED, TOMBSTONE_UNKNOWN, INVALID
  }

  private final RecordDecoder decoder;
  private final RetentionPolicy policy;
  private final Map<String, SessionState> sessions = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> byProject = new ConcurrentHashMap<>();
  private final Map<String, Tombstone> deleted = new ConcurrentHashMap<>();
  /** Writer only: deletion markers in the order they were made. */
  private final LinkedHashMap<String, Long> deletedOrder = new LinkedHashMap<>();
  /** Writer only: finished sessions by the time of their last change, oldest first. */
  private final LinkedHashMap<String, Long> finishedOrder = new LinkedHashMap<>();
  /** Per partition, the offset after the last record applied (the view's position). */
  private final Map<Integer, Long> position = new ConcurrentHashMap<>();
  /** Per partition, the highest offset of a deletion marker dropped by retention. */
  private final Map<Integer, Long> forgottenDeletions = new ConcurrentHashMap<>();
  private final List<StateListener> listeners = new CopyOnWriteArrayList<>();
  private final Stats stats = new Stats();
  /** Held by the writer while it changes the view and notifies, and by {@link #consistently}. */
  private final ReentrantLock changes = new ReentrantLock();
  private long seq;
  private boolean warnedInvalid;

  public StateView(RecordDecoder decoder, RetentionPolicy policy) {
    this.decoder = decoder;
    this.policy = policy;
  }

  /** Counters of what the view did; read from any thread. */
  public static final class Stats {
    public final LongAdder applied = new LongAdder();
    public final LongAdder duplicates = new LongAdder();
    public final LongAdder tombstones = new LongAdder();
    public final LongAdder invalid = new LongAdder();
    public final LongAdder evictedFinished = new LongAdder();
    public final LongAdder evictedCapacity = new LongAdder();
  }

  public Stats stats() {
    return stats;
  }

  public void addListener(StateListener listener) {
    listeners.add(listener);
  }

  public void removeListener(StateListener listener) {
    listeners.remove(listener);
  }

  /**
   * Applies one record received at {@code nowMs} (view clock, for retention). Writer thread
   * only. The position advances after the listeners ran, so a reader that sees the position
   * past a record also sees every listener call it caused.
   */
  public Outcome apply(TopicRecord r, long nowMs) {
    changes.lock();
    try {
      return applyLocked(r, nowMs);
    } finally {
      changes.unlock();
    }
  }

  private Outcome applyLocked(TopicRecord r, long nowMs) {
    Outcome outcome;
    try {
      outcome = r.tombstone() ? applyTombstone(r, nowMs) : applyState(r, nowMs);
    } catch (InvalidRecordException e) {
      stats.invalid.increment();
      if (!warnedInvalid) {
        warnedInvalid = true;
        log.warn("Skipping a record that breaks the record contract (partition {} offset {}):"
            + " {}; later ones are counted in the invalid-records metric", r.partition(),
            r.offset(), e.getMessage());
      } else {
        log.debug("Skipping invalid record at {}/{}: {}", r.partition(), r.offset(),
            e.getMessage());
      }
      outcome = Outcome.INVALID;
    }
    position.put(r.partition(), r.offset() + 1);
    return outcome;
  }

  private Outcome applyState(TopicRecord r, long nowMs) throws InvalidRecordException {
    Decoded d = decoder.decode(r);
    String id = r.key();
    SessionState current = sessions.get(id);
    if (current != null && d.version() <= current.version()) {
      stats.duplicates.increment();
      return Outcome.DUPLICATE;
    }
    boolean restarted;
    if (current != null) {
      restarted = current.versionsRestarted();
    } else {
      Tombstone t = deleted.remove(id);
      if (t != null) {
        deletedOrder.remove(id);
      }
      restarted = t != null && d.version() <= t.lastVersion();
    }
    SessionState next = new SessionState(id, d.projectId(), d.version(), d.updatedAt(),
        d.state(), d.status(), r.partition(), r.offset(), r.timestampMs(), ++seq, restarted);
    sessions.put(id, next);
    if (current != null && current.projectId() != null
        && !current.projectId().equals(next.projectId())) {
      unindex(current);
    }
    if (next.projectId() != null) {
      byProject.computeIfAbsent(next.projectId(), p -> ConcurrentHashMap.newKeySet()).add(id);
    }
    finishedOrder.remove(id);
    if (policy.finished(next.status())) {
      finishedOrder.put(id, nowMs);
    }
    stats.applied.increment();
    notify(new Change(Change.Kind.UPDATED, id, next.projectId(), next, r.partition(),
        r.offset(), r.timestampMs(), next.seq()));
    enforceCapacity();
    return Outcome.APPLIED;
  }

  private Outcome applyTombstone(TopicRecord r, long nowMs) {
    String id = r.key();
    if (id == null) {
      stats.invalid.increment();
      return Outcome.INVALID;
    }
    stats.tombstones.increment();
    SessionState current = sessions.remove(id);
    finishedOrder.remove(id);
    Tombstone previous = deleted.get(id);
    String project = current != null ? current.projectId()
        : previous != null ? previous.projectId() : null;
    long lastVersion = current != null ? current.version()
        : previous != null ? previous.lastVersion() : 0;
    if (current != null) {
      unindex(current);
    }
    long s = ++seq;
    remember(new Tombstone(id, project, lastVersion, r.partition(), r.offset(),
        r.timestampMs(), s, nowMs));
    notify(new Change(Change.Kind.DELETED, id, project, current, r.partition(), r.offset(),
        r.timestampMs(), s));
    return current != null ? Outcome.DELETED : Outcome.TOMBSTONE_UNKNOWN;
  }

  private void remember(Tombstone t) {
    if (policy.maxDeleted() == 0) {
      forget(t.sessionId(), t);
      return;
    }
    deleted.put(t.sessionId(), t);
    deletedOrder.remove(t.sessionId());
    deletedOrder.put(t.sessionId(), t.seenAtMs());
    while (deletedOrder.size() > policy.maxDeleted()) {
      String oldest = deletedOrder.keySet().iterator().next();
      deletedOrder.remove(oldest);
      forget(oldest, deleted.remove(oldest));
    }
  }

  private void forget(String id, Tombstone t) {
    if (t != null) {
      forgottenDeletions.merge(t.partition(), t.offset(), Math::max);
    }
  }

  private void unindex(SessionState s) {
    if (s.projectId() == null) {
      return;
    }
    byProject.computeIfPresent(s.projectId(), (p, ids) -> {
      ids.remove(s.sessionId());
      return ids.isEmpty() ? null : ids;
    });
  }

  /** Applies the time-based retention at {@code nowMs}. Writer thread only. */
  public void expire(long nowMs) {
    changes.lock();
    try {
      expireLocked(nowMs);
    } finally {
      changes.unlock();
    }
  }

  /**
   * Runs {@code action} while the view does not change: what it reads is one consistent cut,
   * and every change after it reaches the listeners after {@code action} returns. A subscriber
   * registers its listener and takes its snapshot inside one call, so it sees each change
   * either in the snapshot or as a later change, never neither. Keep {@code action} short: it
   * holds up the writer.
   */
  public <T> T consistently(Supplier<T> action) {
    changes.lock();
    try {
      return action.get();
    } finally {
      changes.unlock();
    }
  }

  private void expireLocked(long nowMs) {
    if (policy.finishedRetentionMs() > 0) {
      Iterator<Map.Entry<String, Long>> it = finishedOrder.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<String, Long> e = it.next();
        if (nowMs - e.getValue() < policy.finishedRetentionMs()) {
          break;
        }
        it.remove();
        evict(e.getKey());
        stats.evictedFinished.increment();
      }
    }
    Iterator<Map.Entry<String, Long>> it = deletedOrder.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Long> e = it.next();
      if (nowMs - e.getValue() < policy.deletedRetentionMs()) {
        break;
      }
      it.remove();
      forget(e.getKey(), deleted.remove(e.getKey()));
    }
  }

  private void enforceCapacity() {
    while (sessions.size() > policy.maxSessions()) {
      String victim;
      if (!finishedOrder.isEmpty()) {
        victim = finishedOrder.keySet().iterator().next();
        finishedOrder.remove(victim);
        stats.evictedFinished.increment();
      } else {
        victim = sessions.keySet().iterator().next();
        stats.evictedCapacity.increment();
        if (stats.evictedCapacity.sum() == 1) {
          log.warn("More than {} sessions are running at once: evicting running sessions"
              + " (raise the session limit)", policy.maxSessions());
        }
      }
      evict(victim);
    }
  }

  private void evict(String id) {
    SessionState s = sessions.remove(id);
    if (s == null) {
      return;
    }
    unindex(s);
    notify(new Change(Change.Kind.EVICTED, id, s.projectId(), s, s.partition(), s.offset(),
        s.timestampMs(), ++seq));
  }

  private void notify(Change change) {
    for (StateListener l : listeners) {
      try {
        l.onChange(change);
      } catch (RuntimeException e) {
        log.warn("A state listener failed on {} of session {}", change.kind(),
            change.sessionId(), e);
      }
    }
  }

  /** The current state of a session, if the view holds one. */
  public Optional<SessionState> get(String sessionId) {
    return Optional.ofNullable(sessions.get(sessionId));
  }

  /** The deletion marker of a session deleted within the retention, if any. */
  public Optional<Tombstone> deletion(String sessionId) {
    return Optional.ofNullable(deleted.get(sessionId));
  }

  /** The current sessions of a project (a copy; order unspecified). */
  public List<SessionState> sessionsOf(String projectId) {
    Set<String> ids = byProject.get(projectId);
    if (ids == null) {
      return List.of();
    }
    List<SessionState> out = new ArrayList<>(ids.size());
    for (String id : ids) {
      SessionState s = sessions.get(id);
      if (s != null && projectId.equals(s.projectId())) {
        out.add(s);
      }
    }
    return out;
  }

  /** Deletion markers still remembered (a copy). */
  public Collection<Tombstone> deletions() {
    return List.copyOf(deleted.values());
  }

  /** Project ids with at least one current session. */
  public Set<String> projects() {
    return Set.copyOf(byProject.keySet());
  }

  public int size() {
    return sessions.size();
  }

  /** The view's position: per partition, the offset after the last record applied. */
  public Position position() {
    return new Position(Map.copyOf(position));
  }

  /**
   * Whether the view still remembers every deletion after {@code since}: false when a
   * deletion marker at or after that position was already dropped by retention, in which
   * case a reader resuming from it must start over from a full snapshot.
   */
  public boolean remembersDeletionsSince(Position since) {
    for (Map.Entry<Integer, Long> e : forgottenDeletions.entrySet()) {
      if (e.getValue() >= since.offset(e.getKey())) {
        return false;
      }
    }
    return true;
  }
}
