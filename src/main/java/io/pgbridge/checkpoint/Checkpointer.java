package io.pgbridge.checkpoint;

import io.pgbridge.BridgeState;
import io.pgbridge.coalesce.SessionCoalescer;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.metrics.WarnOnce;
import io.pgbridge.time.Ticker;
import java.sql.SQLException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Advances the checkpoint on its own thread ({@code pgbridge-checkpoint-<id>}). Each round:
 * take a snapshot and send a barrier in one transaction; wait for the change source to receive
 * the barrier (then every change visible in the snapshot has been marked, up to sequence
 * {@code b}); wait until the coalescer's low watermark passes {@code b} (every such change was
 * acknowledged by Kafka); store the snapshot. A round is abandoned when the source
 * reconnects meanwhile. Runs only while this instance leads and its catch-up has finished.
 * {@link #start()} and {@link #stop()} are called by the bridge's owner thread.
 */
public final class Checkpointer implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(Checkpointer.class);
  private static final long BARRIER_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

  /** The SQL a round needs: {@link CheckpointStore} in production. */
  public interface Store {
    /**
     * Takes a snapshot and sends the barrier {@code barrierId} in one transaction, the way the
     * source mode carries it; returns the snapshot with a database time read before it.
     */
    CheckpointStore.Barrier beginBarrier(String barrierId) throws SQLException;

    /** Stores {@code snapshot} as the checkpoint. */
    void store(String snapshot) throws SQLException;
  }

  private final Store store;
  private final SessionCoalescer coalescer;
  private final BridgeState state;
  private final BridgeMetrics metrics;
  private final Ticker ticker;
  private final String barrierPrefix;
  private final long intervalNanos;
  private final StoredListener onStored;
  /** Rounds begun so far; each round's number. */
  private final AtomicLong roundsStarted = new AtomicLong();
  /** The number of the last round whose checkpoint was stored. */
  private final AtomicLong lastStoredRound = new AtomicLong();
  /** The number of the last round the store refused (another recorded source mode). */
  private final AtomicLong lastRefusedRound = new AtomicLong();
  private final WarnOnce warn = new WarnOnce(log);
  private final Thread thread;
  private volatile boolean running = true;
  private volatile Round round;
  private volatile CountDownLatch wake = new CountDownLatch(1);
  private volatile boolean requested;
  /** When the next round is due (ticker time); only the checkpoint thread moves it. */
  private long next;

  /** The barrier a round waits for; {@code arrivedSeq} is set by the source runner thread. */
  private static final class Round {
    final String barrierId;
    volatile long arrivedSeq = -1;

    Round(String barrierId) {
      this.barrierId = barrierId;
    }
  }

  /** Told about every checkpoint this instance stores; called on the checkpoint thread. */
  public interface StoredListener {
    /** {@code barrier} was stored during source generation {@code generation}. */
    void stored(CheckpointStore.Barrier barrier, long generation);
  }

  public Checkpointer(Store store, SessionCoalescer coalescer, BridgeState state,
      BridgeMetrics metrics, Ticker ticker, String instanceId,
      long intervalMs, StoredListener onStored) {
    this.store = store;
    this.coalescer = coalescer;
    this.state = state;
    this.metrics = metrics;
    this.ticker = ticker;
    this.barrierPrefix = instanceId + "/";
    this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
    this.next = ticker.nanos() + intervalNanos;
    this.onStored = onStored;
    this.thread = new Thread(this, "pgbridge-checkpoint-" + instanceId);
    this.thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  /**
   * Called by the source runner's thread for every barrier (ours or other bridges'). Only
   * records the sequence: the round polls it. Counting down {@code wake} here would leave the
   * next interval's latch already open, so rounds would run back to back.
   */
  public void barrierArrived(String barrierId, long seq) {
    Round r = round;
    if (r != null && r.barrierId.equals(barrierId)) {
      r.arrivedSeq = seq;
    }
  }

  /** Starts a round now instead of at the next interval (shutdown). */
  public void requestNow() {
    requested = true;
    wake.countDown();
  }

  /**
   * Waits up to {@code timeoutNanos} for a round started now to store its checkpoint: used on
   * shutdown after the backlog was flushed. A round already under way does not count: its
   * snapshot predates the call, so it would leave the last changes to the next start's
   * catch-up. Returns true if a checkpoint was stored.
   */
  public boolean checkpointNow(long timeoutNanos) throws InterruptedException {
    if (!state.caughtUp()) {
      return false; // no round can run: do not spend the shutdown budget waiting for one
    }
    long before = roundsStarted.get();
    long deadline = ticker.nanos() + timeoutNanos;
    requestNow();
    while (ticker.nanos() - deadline < 0) {
      if (lastStoredRound.get() > before) {
        return true;
      }
      if (lastRefusedRound.get() > before) {
        return false; // no round can store: do not spend the shutdown budget either
      }
      Thread.sleep(5);
    }
    return false;
  }

  @Override
  public void run() {
    while (running) {
      try {
        CountDownLatch latch = wake;
        long wait = next - ticker.nanos();
        if (wait > 0 && !requested) {
          latch.await(wait, TimeUnit.NANOSECONDS);
        }
        if (!running) {
          break;
        }
        tick();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (CheckpointStore.ModeMismatchException e) {
        metrics.error("mode_mismatch");
        lastRefusedRound.set(roundsStarted.get());
        state.lastError(e.getMessage());
        warn.warn("mode_mismatch", "{}", e.getMessage());
        round = null;
      } catch (SQLException | RuntimeException e) {
        metrics.error("checkpoint");
        warn.warn("checkpoint", "checkpoint round failed: {}", e.toString());
        round = null;
      }
    }
  }

  /**
   * Runs a round if one is due (the interval has passed since the last one began, or
   * {@link #requestNow()} was called) and this instance leads with its catch-up done; returns
   * whether a round ran. Called by the checkpoint thread, and by tests with a manual ticker.
   */
  boolean tick() throws SQLException, InterruptedException {
    if (!requested && ticker.nanos() - next < 0) {
      return false;
    }
    requested = false;
    wake = new CountDownLatch(1);
    next = ticker.nanos() + intervalNanos;
    if (!state.leader() || !state.caughtUp()) {
      return false;
    }
    runRound();
    return true;
  }

  private void runRound() throws SQLException, InterruptedException {
    long number = roundsStarted.incrementAndGet();
    long gen = state.generation();
    if (!state.caughtUp() || state.generation() != gen) {
      // the source reconnected since run() looked: its catch-up may still be marking what it
      // missed, and a barrier it received now would not prove those sessions were published
      return;
    }
    long started = ticker.nanos();
    String id = barrierPrefix + started;
    Round r = new Round(id);
    round = r;
    try {
      CheckpointStore.Barrier barrier =
          store.beginBarrier(id);
      String snapshot = barrier.snapshot();
      while (running || state.role() == BridgeState.Role.STOPPING) {
        if (state.generation() != gen || !state.leader()) {
          log.debug("checkpoint round {} abandoned: source reconnected", id);
          return;
        }
        long seq = r.arrivedSeq;
        if (seq >= 0 && coalescer.lowWatermark() > seq) {
          store.store(snapshot);
          state.checkpointStored(snapshot, ticker.nanos());
          metrics.checkpoints().increment();
          lastStoredRound.set(number);
          onStored.stored(barrier, gen);
          warn.reset("checkpoint");
          log.debug("checkpoint stored: {}", snapshot);
          return;
        }
        if (seq < 0 && ticker.nanos() - started > BARRIER_TIMEOUT_NANOS) {
          warn.warn("barrier", "checkpoint barrier {} not received within 30 s", id);
          return;
        }
        Thread.sleep(5);
      }
    } finally {
      round = null;
    }
  }

  public void stop() {
    running = false;
    wake.countDown();
    thread.interrupt();
  }

  public void join(long millis) throws InterruptedException {
    thread.join(millis);
  }
}
