package io.pgbridge.recover;

import io.pgbridge.checkpoint.CheckpointStore;
import io.pgbridge.coalesce.SessionCoalescer;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.time.Ticker;
import java.sql.SQLException;

/**
 * The settle pass of HA: every acquisition of the leader lease may follow a leader whose
 * producer still delivers, so {@code ha.settle.ms} after it the sessions of that connection's
 * catch-up are published again ({@link CatchUp#settle}). The snapshot it starts from is
 * retained in the database so that pruning keeps the deletions it re-sends and a crash of this
 * instance leaves it to the next leader (an older retained snapshot wins); it is released once
 * everything the pass marked is acknowledged. A pending settle survives reconnects: a pass cut
 * short runs again, from the same snapshot, after the next connection's catch-up. Runner thread
 * only.
 */
final class SettlePass {

  private final CheckpointStore store;
  private final SessionCoalescer coalescer;
  private final BridgeMetrics metrics;
  private final int pageSize;
  private final long delayNanos;
  private final Ticker ticker;
  /** When the pass is due (ticker time, 0: none armed) and the snapshot it starts from. */
  private long at;
  private String from;
  private CatchUp pass;
  /** After a pass: the retained snapshot is released once this sequence is published. */
  private long releaseAfterSeq = -1;

  SettlePass(CheckpointStore store, SessionCoalescer coalescer, BridgeMetrics metrics,
      int pageSize, long delayNanos, Ticker ticker) {
    this.store = store;
    this.coalescer = coalescer;
    this.metrics = metrics;
    this.pageSize = pageSize;
    this.delayNanos = delayNanos;
    this.ticker = ticker;
  }

  /**
   * A new connection: a pass under way is dropped (it runs again once due); when
   * {@code takeover} and none is armed, arms one from {@code catchUpFrom}.
   */
  void connected(boolean takeover, String catchUpFrom) throws SQLException {
    pass = null;
    if (takeover && at == 0) {
      from = store.retain(catchUpFrom);
      releaseAfterSeq = -1;
      at = nonZero(ticker.nanos() + delayNanos);
    }
  }

  void advance(boolean recoveryWalked) throws SQLException {
    if (at != 0 && pass == null && recoveryWalked && ticker.nanos() - at > 0) {
      pass = CatchUp.settle(store, coalescer, metrics, from, pageSize);
    }
    if (pass != null && pass.done()) {
      pass = null;
      at = 0;
      from = null;
      releaseAfterSeq = coalescer.lastSeq();
    }
    if (releaseAfterSeq >= 0 && coalescer.lowWatermark() > releaseAfterSeq) {
      store.release();
      releaseAfterSeq = -1;
    }
  }

  boolean walking() {
    return pass != null && !pass.done();
  }

  void step() throws SQLException {
    if (walking()) {
      pass.step();
    }
  }

  boolean pending() {
    return at != 0 || releaseAfterSeq >= 0;
  }

  private static long nonZero(long nanos) {
    return nanos == 0 ? 1 : nanos;
  }
}
