package io.pgbridge.recover;

import io.pgbridge.checkpoint.CheckpointStore;
import io.pgbridge.checkpoint.CheckpointStore.Checkpoint;
import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.SessionCoalescer;
import io.pgbridge.metrics.BridgeMetrics;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One catch-up pass, run by the source runner's thread once a connection's stream has begun:
 * marks dirty every session changed or deleted after a snapshot (the stored checkpoint, or one
 * the source names), or every session, one keyset page per {@link #step()} so that the runner
 * keeps draining the stream in between and the backlog stays bounded. Duplicates with the
 * stream are harmless; gaps are not. Not thread-safe: one runner thread.
 */
public final class CatchUp {

  private static final Logger log = LoggerFactory.getLogger(CatchUp.class);

  private enum Mode { FROM_CHECKPOINT, ALL, DONE }

  private final CheckpointStore store;
  private final SessionCoalescer coalescer;
  private final BridgeMetrics metrics;
  private final int pageSize;
  private final long sources;
  private Mode mode;
  private String snapshot;
  private UUID after;
  /** Paging through the deletion log first: the last id of the previous page. */
  private boolean deletedDone;
  private UUID deletedAfter;
  private long deleted;
  private long marked;

  private CatchUp(CheckpointStore store, SessionCoalescer coalescer, BridgeMetrics metrics,
      int pageSize, long sources) {
    this.store = store;
    this.coalescer = coalescer;
    this.metrics = metrics;
    this.pageSize = pageSize;
    this.sources = sources;
  }

  /**
   * Starts a pass, after {@link #beforeListen} and {@code LISTEN}. With no stored checkpoint,
   * {@code initialAll} walks every session (and the deletion log); with
   * {@code catchup.initial=none} beforeListen has already stored the first checkpoint.
   */
  public static CatchUp begin(CheckpointStore store, SessionCoalescer coalescer,
      BridgeMetrics metrics, boolean initialAll, int pageSize) throws SQLException {
    CatchUp c = new CatchUp(store, coalescer, metrics, pageSize, ChangeSources.CATCHUP);
    Optional<Checkpoint> checkpoint = store.load();
    if (checkpoint.isPresent()) {
      c.mode = Mode.FROM_CHECKPOINT;
      c.snapshot = checkpoint.get().snapshot();
      log.info("catch-up from checkpoint {}", c.snapshot);
    } else if (initialAll) {
      // an earlier run may have published sessions that were deleted since: their tombstones
      // are owed even though no checkpoint was stored yet (the whole log is read; the
      // registration in beforeListen keeps others from pruning it)
      c.mode = Mode.ALL;
      log.info("no checkpoint: catch-up publishes every session (catchup.initial=all)");
    } else {
      // storing a snapshot here, after LISTEN, could cover changes notified but not yet
      // published: the first checkpoint of catchup.initial=none is stored by beforeListen()
      throw new IllegalStateException("no checkpoint with catchup.initial=none:"
          + " beforeListen() must run before LISTEN");
    }
    return c;
  }

  /**
   * Everything after {@code snapshot} (deletions and changes): a source whose stream starts
   * at a position known to follow that snapshot, such as a replication slot re-created after
   * it was lost.
   */
  public static CatchUp from(CheckpointStore store, SessionCoalescer coalescer,
      BridgeMetrics metrics, String snapshot, int pageSize) {
    CatchUp c = new CatchUp(store, coalescer, metrics, pageSize, ChangeSources.CATCHUP);
    c.mode = Mode.FROM_CHECKPOINT;
    c.snapshot = snapshot;
    log.info("catch-up from snapshot {}", snapshot);
    return c;
  }

  /** Every session and the whole deletion log. */
  public static CatchUp all(CheckpointStore store, SessionCoalescer coalescer,
      BridgeMetrics metrics, int pageSize) {
    CatchUp c = new CatchUp(store, coalescer, metrics, pageSize, ChangeSources.CATCHUP);
    c.mode = Mode.ALL;
    log.info("catch-up publishes every session and every logged deletion");
    return c;
  }

  /**
   * A pass with nothing to walk, for a stream complete by itself; {@code snapshot} is the
   * stored checkpoint (null if none), which a settle pass after a takeover starts from.
   */
  public static CatchUp nothing(CheckpointStore store, SessionCoalescer coalescer,
      BridgeMetrics metrics, String snapshot) {
    CatchUp c = new CatchUp(store, coalescer, metrics, 1, ChangeSources.CATCHUP);
    c.mode = Mode.DONE;
    c.deletedDone = true;
    c.snapshot = snapshot;
    return c;
  }

  /**
   * Called right before {@code LISTEN}: with no stored checkpoint and
   * {@code catchup.initial=none}, stores the current snapshot as the first checkpoint. Every
   * change visible in it committed before the bridge listened, so none is owed; every later one
   * is either notified or found by the catch-up from this checkpoint that follows.
   */
  public static void beforeListen(CheckpointStore store, boolean initialAll)
      throws SQLException {
    if (store.load().isPresent()) {
      return;
    }
    if (initialAll) {
      store.register();
    } else {
      store.store(store.currentSnapshot());
      log.info("no checkpoint: starting from now (catchup.initial=none)");
    }
  }

  /**
   * The settle pass after a takeover: the same sessions as the catch-up that began from
   * {@code snapshot} (every session when it is null), marked to be published again even if
   * their version was already acknowledged. A record the previous leader's producer still
   * delivered after ours may otherwise stay last on the topic with an older version.
   */
  public static CatchUp settle(CheckpointStore store, SessionCoalescer coalescer,
      BridgeMetrics metrics, String snapshot, int pageSize) throws SQLException {
    CatchUp c = new CatchUp(store, coalescer, metrics, pageSize,
        ChangeSources.CATCHUP | ChangeSources.REPUBLISH);
    if (snapshot == null) {
      c.mode = Mode.ALL;
    } else {
      c.mode = Mode.FROM_CHECKPOINT;
      c.snapshot = snapshot;
    }
    log.info("settle pass after takeover: republishing sessions changed after {}",
        snapshot == null ? "the beginning" : snapshot);
    return c;
  }

  /** The checkpoint this pass started from; null when it walks every session or none. */
  public String snapshot() {
    return snapshot;
  }

  /**
   * Marks the next page (deleted sessions first, then changed or all sessions); returns false
   * once the pass is complete.
   */
  public boolean step() throws SQLException {
    if (!deletedDone && mode != Mode.DONE) {
      List<UUID> page = store.deletedSince(snapshot, deletedAfter, pageSize);
      mark(page);
      deleted += page.size();
      if (page.size() < pageSize) {
        deletedDone = true;
        log.info("catch-up: {} deleted session(s) owe a tombstone", deleted);
      } else {
        deletedAfter = page.get(page.size() - 1);
      }
      return true;
    }
    List<UUID> page = switch (mode) {
      case FROM_CHECKPOINT -> store.changedSince(snapshot, after, pageSize);
      case ALL -> store.allSessions(after, pageSize);
      case DONE -> List.of();
    };
    mark(page);
    if (page.size() < pageSize) {
      if (mode != Mode.DONE) {
        log.info("catch-up complete: {} session(s) marked", marked);
      }
      mode = Mode.DONE;
      return false;
    }
    after = page.get(page.size() - 1);
    return true;
  }

  public boolean done() {
    return mode == Mode.DONE;
  }

  public long marked() {
    return marked;
  }

  private void mark(List<UUID> ids) {
    for (UUID id : ids) {
      coalescer.mark(id, sources);
    }
    marked += ids.size();
    metrics.catchup().increment(ids.size());
  }
}
