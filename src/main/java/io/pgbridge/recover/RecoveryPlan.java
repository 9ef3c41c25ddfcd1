package io.pgbridge.recover;

import io.pgbridge.checkpoint.CheckpointStore;
import io.pgbridge.coalesce.SessionCoalescer;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.source.Recovery;
import io.pgbridge.source.RecoveryPasses;
import io.pgbridge.time.Ticker;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;

/**
 * Turns a {@link Recovery} into catch-up passes: {@code CHECKPOINT} from the stored checkpoint
 * (or every session with {@code catchup.initial=all} and none stored, after {@link #prepare()}
 * registered the bridge or stored the first checkpoint), {@code SNAPSHOT} from the snapshot the
 * source names, {@code ALL} every session and the whole deletion log, {@code NONE} nothing. In
 * HA, a settle pass follows each takeover ({@link SettlePass}). Runner thread only.
 */
public final class RecoveryPlan implements RecoveryPasses {

  private final CheckpointStore store;
  private final SessionCoalescer coalescer;
  private final BridgeMetrics metrics;
  private final boolean initialAll;
  private final int pageSize;
  private final SettlePass settle;
  private CatchUp pass;

  /**
   * {@code settleMs}: {@code ha.settle.ms} (0: no settle pass); {@code initialAll}:
   * {@code catchup.initial=all}.
   */
  public RecoveryPlan(CheckpointStore store, SessionCoalescer coalescer, BridgeMetrics metrics,
      boolean initialAll, int pageSize, long settleMs, Ticker ticker) {
    this.store = store;
    this.coalescer = coalescer;
    this.metrics = metrics;
    this.initialAll = initialAll;
    this.pageSize = pageSize;
    this.settle = settleMs > 0 ? new SettlePass(store, coalescer, metrics, pageSize,
        TimeUnit.MILLISECONDS.toNanos(settleMs), ticker) : null;
  }

  @Override
  public void prepare() throws SQLException {
    CatchUp.beforeListen(store, initialAll);
  }

  @Override
  public void start(Recovery recovery, boolean takeover) throws SQLException {
    pass = switch (recovery.kind()) {
      case CHECKPOINT -> CatchUp.begin(store, coalescer, metrics, initialAll, pageSize);
      case SNAPSHOT -> CatchUp.from(store, coalescer, metrics, recovery.snapshot(), pageSize);
      case ALL -> CatchUp.all(store, coalescer, metrics, pageSize);
      case NONE -> CatchUp.nothing(store, coalescer, metrics,
          store.load().map(CheckpointStore.Checkpoint::snapshot).orElse(null));
    };
    if (settle != null) {
      settle.connected(takeover, pass.snapshot());
    }
  }

  @Override
  public boolean walking() {
    return (pass != null && !pass.done()) || (settle != null && settle.walking());
  }

  @Override
  public void step() throws SQLException {
    if (pass != null && !pass.done()) {
      pass.step();
    } else if (settle != null) {
      settle.step();
    }
  }

  @Override
  public void advance() throws SQLException {
    if (settle != null) {
      settle.advance(recoveryWalked());
    }
  }

  @Override
  public boolean recoveryWalked() {
    return pass != null && pass.done();
  }

  @Override
  public boolean settlePending() {
    return settle != null && settle.pending();
  }
}
