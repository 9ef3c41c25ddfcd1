package io.pgbridge.listen;

import io.pgbridge.BridgeState;
import io.pgbridge.BridgeState.Role;
import io.pgbridge.checkpoint.CatchUp;
import io.pgbridge.checkpoint.CheckpointStore;
import io.pgbridge.checkpoint.Checkpointer;
import io.pgbridge.coalesce.SessionCoalescer;
import io.pgbridge.config.Identifiers;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.metrics.WarnOnce;
import io.pgbridge.time.Backoff;
import io.pgbridge.time.Ticker;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener loop, on its own thread ({@code pgbridge-listener-<id>}). Per connection: take
 * the leader lock (if HA is on; a standby waits here), {@code LISTEN}, then run catch-up from
 * the stored checkpoint one page at a time while draining notifications, and from then on only
 * drain notifications, waiting at most {@code listen.poll.timeout.ms} per call so it notices
 * shutdown, and probing the connection periodically (which also reads
 * {@code pg_notification_queue_usage()}). Any connection error: reconnect with capped
 * exponential backoff and jitter, and catch up again. Errors that retrying cannot fix
 * (authentication, missing objects) go to {@code fatal}. {@link #stop()} may be called from any
 * thread; it closes the connection to unblock the loop.
 */
public final class NotificationListener implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(NotificationListener.class);
  private static final int LOCK_CLASS = 0x70676272; // "pgbr"

  /** Everything the listener works with, wired by the bridge. */
  public record Wiring(ListenerConnector connector, String channel, String bridgeId,
      boolean haEnabled, long haRetryMs, long settleMs, NotificationParser parser, SessionCoalescer coalescer,
      CheckpointStore checkpoints, Checkpointer checkpointer, boolean catchupInitialAll,
      int catchupPageSize, BridgeState state, BridgeMetrics metrics, Backoff backoff,
      Ticker ticker, int pollTimeoutMs, Consumer<Exception> fatal, Runnable onLeadership) {}

  private final Wiring w;
  private final WarnOnce warn = new WarnOnce(log);
  private final long probeIntervalNanos;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile boolean draining;
  private volatile Connection current;
  private boolean everConnected;
  /** The pending settle pass: due time (0: none) and the snapshot it starts from. */
  private long settleAt;
  private String settleFrom;
  /** After a settle pass: the retained snapshot is released once this sequence is published. */
  private long releaseAfterSeq = -1;

  public NotificationListener(Wiring wiring, String instanceId) {
    this.w = wiring;
    this.probeIntervalNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(2_000,
        wiring.pollTimeoutMs() * 4L));
    this.thread = new Thread(this, "pgbridge-listener-" + instanceId);
    this.thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  @Override
  public void run() {
    int attempt = 0;
    while (running) {
      long delay = 0;
      try (Connection conn = w.connector().open()) {
        current = conn;
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
        w.state().lastError("listener: " + SqlErrors.describe(e));
        warn.warn("listener", "listener connection failed ({}); reconnecting in {} ms",
            SqlErrors.describe(e), delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } finally {
        current = null;
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
    PGConnection pg = conn.unwrap(PGConnection.class);
    w.state().connected(true);
    if (w.haEnabled()) {
      if (!acquireLeadership(conn)) {
        return;
      }
      // another instance may have led since this one last held the lock: what it remembers
      // having published may be stale
      w.onLeadership().run();
    }
    CatchUp.beforeListen(w.checkpoints(), w.catchupInitialAll());
    try (Statement st = conn.createStatement()) {
      st.execute("LISTEN " + Identifiers.quote(w.channel()));
    }
    long gen = w.state().newGeneration();
    w.state().role(Role.LEADER);
    if (everConnected) {
      w.metrics().reconnects().increment();
      log.info("listener reconnected on channel {}", w.channel());
    } else {
      log.info("listening on channel {}", w.channel());
    }
    everConnected = true;
    warn.reset("listener");
    CatchUp catchUp = CatchUp.begin(w.checkpoints(), w.coalescer(), w.metrics(),
        w.catchupInitialAll(), w.catchupPageSize());
    long backlogLimit = Math.max(1_000, 2L * w.catchupPageSize());
    long lastProbe = w.ticker().nanos();
    if (w.haEnabled() && w.settleMs() > 0 && settleAt == 0) {
      // every acquisition of the lock may follow a leader whose producer still delivers:
      // settle later from this catch-up's checkpoint (kept across reconnects), retained in
      // the database so that pruning keeps the deletions it re-sends and a crash of this
      // instance leaves it to the next leader (an older retained snapshot wins)
      settleFrom = w.checkpoints().retain(catchUp.snapshot());
      releaseAfterSeq = -1;
      settleAt = w.ticker().nanos() + TimeUnit.MILLISECONDS.toNanos(w.settleMs());
      w.state().settlePending(true);
    }
    boolean settling = false;
    while (running) {
      if (settleAt != 0 && !settling && catchUp.done() && w.ticker().nanos() - settleAt > 0) {
        catchUp = CatchUp.settle(w.checkpoints(), w.coalescer(), w.metrics(), settleFrom,
            w.catchupPageSize());
        settling = true;
      }
      if (settling && catchUp.done()) {
        settling = false;
        settleAt = 0;
        settleFrom = null;
        releaseAfterSeq = w.coalescer().lastSeq();
      }
      if (releaseAfterSeq >= 0 && w.coalescer().lowWatermark() > releaseAfterSeq) {
        w.checkpoints().release();
        releaseAfterSeq = -1;
        w.state().settlePending(false);
      }
      if (!catchUp.done() && w.coalescer().pendingCount() < backlogLimit) {
        catchUp.step();
      }
      if (catchUp.done() && !w.state().caughtUp()) {
        w.state().catchUpDone(gen);
      }
      PGNotification[] batch = pg.getNotifications(catchUp.done() ? w.pollTimeoutMs() : 5);
      if (batch != null) {
        for (PGNotification n : batch) {
          handle(n.getParameter());
        }
      }
      if (w.ticker().nanos() - lastProbe > probeIntervalNanos) {
        probe(conn);
        lastProbe = w.ticker().nanos();
      }
    }
  }

  /** Blocks until this instance holds the leader lock; false if stopping meanwhile. */
  private boolean acquireLeadership(Connection conn) throws SQLException, InterruptedException {
    boolean announced = false;
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT pg_try_advisory_lock(" + LOCK_CLASS + ", hashtext(?))")) {
      ps.setString(1, w.bridgeId());
      while (running) {
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getBoolean(1)) {
            log.info("leader lock for bridge.id={} acquired: this instance publishes",
                w.bridgeId());
            return true;
          }
        }
        if (!announced) {
          w.state().role(Role.STANDBY);
          log.info("another instance leads bridge.id={}; waiting as standby", w.bridgeId());
          announced = true;
        }
        sleep(w.haRetryMs());
      }
    }
    return false;
  }

  /** Parses and routes one payload; never throws for bad input. */
  void handle(String payload) {
    Signal signal = w.parser().parse(payload);
    if (draining && !(signal instanceof Signal.Barrier)) {
      return;
    }
    if (signal instanceof Signal.Change c) {
      w.metrics().received(c.tableIndex(), c.op());
      w.coalescer().mark(c.sessionId(), c.source());
    } else if (signal instanceof Signal.Unrouted u) {
      // a change that may be real (a trigger that names a partition or an unconfigured
      // table): publish its session by id rather than let a checkpoint pass it
      w.metrics().malformed(NotificationParser.UNKNOWN_TABLE);
      w.coalescer().mark(u.sessionId(), u.source());
      // one key for every table name: the names come from anyone allowed to NOTIFY
      if (warn.warn("unrouted", "a notification on {} names table '{}', which is not a"
          + " configured table: its session is published by id; run `pgbridge migrate` with"
          + " this configuration so that the triggers name the configured tables",
          w.channel(), u.table())) {
        w.state().lastError("notifications name table '" + u.table() + "', which is not"
            + " configured: run `pgbridge migrate`");
      }
    } else if (signal instanceof Signal.Barrier b) {
      w.checkpointer().barrierArrived(b.id(), w.coalescer().lastSeq());
    } else if (signal instanceof Signal.Malformed m) {
      w.metrics().malformed(m.reason());
      warn.warn("malformed:" + m.reason(), "ignored a notification on {} ({}: {}, {} chars)",
          w.channel(), m.reason(), m.detail(), payload == null ? 0 : payload.length());
    }
  }

  private void probe(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_notification_queue_usage()")) {
      rs.next();
      w.state().queueUsage(rs.getDouble(1));
    }
  }

  private void sleep(long millis) throws InterruptedException {
    long end = w.ticker().nanos() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (running && w.ticker().nanos() - end < 0) {
      Thread.sleep(Math.min(50, Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - w.ticker().nanos()))));
    }
  }

  /**
   * Stops routing changes while the connection (and the leader lock) stays: called on
   * shutdown once a checkpoint was stored, so that the backlog can drain under constant
   * writes. The changes ignored from then on are after every stored checkpoint, and the next
   * leader's catch-up publishes them.
   */
  public void drain() {
    draining = true;
  }

  /** Stops the loop and closes the connection (which releases the leader lock). */
  public void stop() {
    running = false;
    Connection c = current;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        log.debug("closing listener connection", e);
      }
    }
  }

  public void join(long millis) throws InterruptedException {
    thread.join(millis);
  }

  public boolean isAlive() {
    return thread.isAlive();
  }
}
