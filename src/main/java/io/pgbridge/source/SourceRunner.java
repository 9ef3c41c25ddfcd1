package io.pgbridge.source;

import io.pgbridge.BridgeState;
import io.pgbridge.BridgeState.Role;
import io.pgbridge.coalesce.SessionCoalescer;
import io.pgbridge.connection.SqlErrors;
import io.pgbridge.lead.LeaderLease;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.metrics.WarnOnce;
import io.pgbridge.time.Backoff;
import io.pgbridge.time.Ticker;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The change source's loop, on its own thread ({@code pgbridge-source-<id>}). Per connection:
 * open it ({@link ChangeSource#connect()}), take the leader lease on it (HA; a standby waits
 * here), {@link RecoveryPasses#prepare()}, {@link ChangeSource#begin} the stream, then walk the
 * recovery it asks for one page at a time while polling the stream (a page only while fewer
 * than the backlog bound of sessions are pending), and the settle pass after a takeover; once
 * the recovery has been walked and every session it marked is acknowledged,
 * {@link ChangeSource#recovered}. From then on only poll, at most {@code pollTimeoutMs} per call
 * so it notices shutdown, and probe every few seconds. Any connection error: reconnect with
 * capped exponential backoff and jitter, and recover again. Errors that retrying cannot fix
 * (authentication, missing objects) go to {@code fatal}. {@link #stop()} may be called from any
 * thread; it aborts the source's connection to unblock the loop.
 */
public final class SourceRunner implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(SourceRunner.class);

  /**
   * What the runner works with besides the source, wired by the bridge. {@code lease} null: HA
   * is off and this instance leads alone. {@code backlogLimit}: no recovery page is walked while
   * this many sessions or more are pending. {@code onLeadership}: runs each time the lease is
   * taken. {@code startCheck}: runs on every new connection before the lease is sought; an
   * error that is not transient stops the bridge (a database migrated for another mode).
   */
  public record Wiring(StartCheck startCheck, LeaderLease lease, RecoveryPasses recovery,
      SessionCoalescer coalescer,
      BridgeState state, BridgeMetrics metrics, Backoff backoff, Ticker ticker,
      int pollTimeoutMs, long backlogLimit, Consumer<Exception> fatal, Runnable onLeadership) {}

  /** A check of the database before the source streams. */
  @FunctionalInterface
  public interface StartCheck {
    void run() throws SQLException;
  }

  private final ChangeSource source;
  private final Wiring w;
  private final WarnOnce warn = new WarnOnce(log);
  private final long probeIntervalNanos;
  private final Thread thread;
  private volatile boolean running = true;
  private boolean everConnected;

  public SourceRunner(ChangeSource source, Wiring wiring, String instanceId) {
    this.source = source;
    this.w = wiring;
    this.probeIntervalNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(2_000,
        wiring.pollTimeoutMs() * 4L));
    this.thread = new Thread(this, "pgbridge-source-" + instanceId);
    this.thread.setDaemon(true);
  }

  public ChangeSource source() {
    return source;
  }

  public void start() {
    thread.start();
  }

  @Override
  public void run() {
    int attempt = 0;
    while (running) {
      long delay = 0;
      try (Connection conn = source.connect()) {
        if (!running) {
          break;
        }
        attempt = 0;
        serve(conn);
      } catch (SQLException | RuntimeException e) {
        w.state().connected(false);
        if (w.state().role() == Role.LEADER) {
          w.state().role(Role.STARTING);
        }
        if (!running) {
          break;
        }
        if (e instanceof SQLException && !SqlErrors.isTransient(e)) {
          w.metrics().error("database_fatal");
          w.state().lastError(SqlErrors.describe(e));
          w.fatal().accept(e);
          break;
        }
        attempt++;
        delay = w.backoff().delayMillis(attempt);
        w.metrics().error("listener");
        w.state().lastError(source.name() + " source: " + SqlErrors.describe(e));
        warn.warn("connection", "{} source connection failed ({}); reconnecting in {} ms",
            source.name(), SqlErrors.describe(e), delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      try {
        sleep(delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    w.state().connected(false);
  }

  private void serve(Connection conn) throws SQLException, InterruptedException {
    w.state().connected(true);
    w.startCheck().run();
    if (w.lease() != null) {
      if (!w.lease().acquire(conn, () -> running, () -> w.state().role(Role.STANDBY))) {
        return;
      }
      // another instance may have led since this one last held the lease: what it remembers
      // having published may be stale
      w.onLeadership().run();
    }
    RecoveryPasses recovery = w.recovery();
    recovery.prepare();
    Recovery needed = source.begin(conn);
    long gen = w.state().newGeneration();
    w.state().role(Role.LEADER);
    if (everConnected) {
      w.metrics().reconnects().increment();
      log.info("{} source reconnected", source.name());
    } else {
      log.info("{} source streaming", source.name());
    }
    everConnected = true;
    warn.reset("connection");
    recovery.start(needed, w.lease() != null);
    w.state().settlePending(recovery.settlePending());
    SessionCoalescer coalescer = w.coalescer();
    // the last mark once the recovery pass is walked: recovered() once it is acknowledged
    long recoveredAfterSeq = -1;
    boolean recovered = false;
    long lastProbe = w.ticker().nanos();
    while (running) {
      recovery.advance();
      w.state().settlePending(recovery.settlePending());
      if (recovery.walking() && coalescer.pendingCount() < w.backlogLimit()) {
        recovery.step();
      }
      if (recovery.recoveryWalked()) {
        if (!w.state().caughtUp()) {
          w.state().catchUpDone(gen);
        }
        if (!recovered) {
          if (recoveredAfterSeq < 0) {
            recoveredAfterSeq = coalescer.lastSeq();
          }
          if (coalescer.lowWatermark() > recoveredAfterSeq) {
            source.recovered(needed);
            recovered = true;
          }
        }
      }
      source.poll(recovery.walking() ? 5 : w.pollTimeoutMs());
      if (w.ticker().nanos() - lastProbe > probeIntervalNanos) {
        source.probe();
        lastProbe = w.ticker().nanos();
      }
    }
  }

  private void sleep(long millis) throws InterruptedException {
    long end = w.ticker().nanos() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (running && w.ticker().nanos() - end < 0) {
      Thread.sleep(Math.min(50, Math.max(1,
          TimeUnit.NANOSECONDS.toMillis(end - w.ticker().nanos()))));
    }
  }

  /**
   * Stops routing changes while the connection (and the lease) stays: called on shutdown once
   * a checkpoint was stored, so that the backlog can drain under constant writes. The changes
   * ignored from then on are after every stored checkpoint, and the next leader's recovery
   * publishes them.
   */
  public void drain() {
    source.drain();
  }

  /** Stops the loop and ends the connection (which ends the lease). */
  public void stop() {
    running = false;
    source.abort();
  }

  public void join(long millis) throws InterruptedException {
    thread.join(millis);
  }

  public boolean isAlive() {
    return thread.isAlive();
  }
}
