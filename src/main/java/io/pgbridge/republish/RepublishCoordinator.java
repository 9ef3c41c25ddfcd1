package io.pgbridge.republish;

import io.pgbridge.BridgeState;
import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.SessionCoalescer;
import io.pgbridge.connection.SqlErrors;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.metrics.WarnOnce;
import io.pgbridge.time.Ticker;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out republish requests on its own thread ({@code pgbridge-republish-<id>}) while this
 * instance leads and its catch-up is done. Polls for the oldest open request of the bridge,
 * takes it (also from a leader that died), and walks its sessions in keyset pages of
 * {@code catchup.page.size}, reading the next page only while the backlog is below the same
 * limit catch-up keeps. Sessions are marked {@link ChangeSources#REPUBLISH} (no unchanged-version
 * skip) and {@link ChangeSources#REQUEST}. A page counts as done once the coalescer's low
 * watermark passed its marks (every one acknowledged by Kafka); only then is the request's
 * {@code done_through} advanced, so a successor resumes after the last acknowledged page, and
 * the request is done when the last page is; a finished {@code --all} is reported to
 * {@code onAllRepublished} (a re-created topic is whole again). Repeating a request only
 * publishes again.
 * {@link #start()} and {@link #stop()} are called by the bridge's owner thread.
 */
public final class RepublishCoordinator implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(RepublishCoordinator.class);
  private static final long MARKS = ChangeSources.REPUBLISH | ChangeSources.REQUEST;

  /** A request's progress as /status shows it. */
  public record Progress(long requestId, String scope, long marked, long acknowledged,
      String doneThrough) {}

  /** A page marked but not yet acknowledged: its last id, size and the last mark's sequence. */
  private record Page(UUID lastId, int size, long seq) {}

  private final DataSource pool;
  private final RepublishStore store;
  private final SessionCoalescer coalescer;
  private final BridgeState state;
  private final BridgeMetrics metrics;
  private final Ticker ticker;
  private final String instanceId;
  private final int pageSize;
  private final Runnable onAllRepublished;
  private final long backlogLimit;
  private final long pollNanos;
  private final WarnOnce warn = new WarnOnce(log);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Thread thread;
  private volatile Progress progress;

  public RepublishCoordinator(DataSource pool, RepublishStore store, SessionCoalescer coalescer,
      BridgeState state, BridgeMetrics metrics, Ticker ticker, String instanceId, int pageSize,
      long pollMs, Runnable onAllRepublished) {
    this.pool = pool;
    this.store = store;
    this.coalescer = coalescer;
    this.state = state;
    this.metrics = metrics;
    this.ticker = ticker;
    this.instanceId = instanceId;
    this.pageSize = pageSize;
    this.onAllRepublished = onAllRepublished;
    this.backlogLimit = Math.max(1_000, 2L * pageSize);
    this.pollNanos = TimeUnit.MILLISECONDS.toNanos(pollMs);
    this.thread = new Thread(this, "pgbridge-republish-" + instanceId);
    this.thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  @Override
  public void run() {
    try {
      while (!stopped.await(pollNanos, TimeUnit.NANOSECONDS)) {
        if (!leading()) {
          continue;
        }
        try {
          Optional<RepublishRequest> open;
          try (Connection c = pool.getConnection()) {
            open = store.oldestOpen(c);
          }
          if (open.isPresent()) {
            carryOut(open.get());
          }
          warn.reset("republish");
        } catch (SQLException e) {
          metrics.error("republish");
          warn.warn("republish", "republish request handling failed, will retry: {}",
              SqlErrors.describe(e));
        } finally {
          progress = null;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean leading() {
    return state.role() == BridgeState.Role.LEADER && state.caughtUp();
  }

  private void carryOut(RepublishRequest r) throws SQLException, InterruptedException {
    try (Connection c = pool.getConnection()) {
      if (!store.take(c, r.id(), instanceId)) {
        return;
      }
    }
    log.info("republish request {} ({}) taken{}", r.id(), r.describe(),
        r.doneThrough() == null ? "" : ", resuming after " + r.doneThrough() + " ("
            + r.republished() + " already republished by " + r.takenBy() + ")");
    long started = ticker.nanos();
    UUID walked = r.doneThrough();
    UUID doneThrough = r.doneThrough();
    long acknowledged = r.republished();
    long marked = r.republished();
    boolean more = true;
    ArrayDeque<Page> pending = new ArrayDeque<>();
    while (stopped.getCount() > 0) {
      if (!leading()) {
        log.info("republish request {} left at {} session(s): no longer leading; the next"
            + " leader resumes it", r.id(), acknowledged);
        return;
      }
      long watermark = coalescer.lowWatermark();
      boolean advanced = false;
      while (!pending.isEmpty() && pending.peekFirst().seq() < watermark) {
        Page p = pending.pollFirst();
        doneThrough = p.lastId();
        acknowledged += p.size();
        advanced = true;
      }
      if (advanced) {
        try (Connection c = pool.getConnection()) {
          if (!store.advance(c, r.id(), instanceId, doneThrough, acknowledged)) {
            log.info("republish request {} was taken by another instance", r.id());
            return;
          }
        }
      }
      if (!more && pending.isEmpty()) {
        try (Connection c = pool.getConnection()) {
          if (store.finish(c, r.id(), instanceId, acknowledged)) {
            metrics.republishRequests().increment();
            if (r.scope() == RepublishRequest.Scope.ALL) {
              onAllRepublished.run();
            }
            log.info("republish request {} done: {} session(s) republished and acknowledged"
                + " in {} ms", r.id(), acknowledged,
                TimeUnit.NANOSECONDS.toMillis(ticker.nanos() - started));
          }
        }
        return;
      }
      if (more && coalescer.pendingCount() < backlogLimit) {
        List<UUID> page;
        try (Connection c = pool.getConnection()) {
          page = store.page(c, r, walked, pageSize);
        }
        for (UUID id : page) {
          coalescer.mark(id, MARKS);
        }
        metrics.republished().increment(page.size());
        if (!page.isEmpty()) {
          walked = page.get(page.size() - 1);
          marked += page.size();
          pending.addLast(new Page(walked, page.size(), coalescer.lastSeq()));
        }
        more = page.size() == pageSize;
      } else {
        Thread.sleep(10);
      }
      progress = new Progress(r.id(), r.scope().sqlName(), marked, acknowledged,
          doneThrough == null ? null : doneThrough.toString());
    }
  }

  /** The request being carried out, for /status; null when none. */
  public Map<String, Object> status() {
    Progress p = progress;
    if (p == null) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("request", p.requestId());
    m.put("scope", p.scope());
    m.put("marked", p.marked());
    m.put("acknowledged", p.acknowledged());
    m.put("doneThrough", p.doneThrough());
    return m;
  }

  public void stop() {
    stopped.countDown();
  }

  public void join(long millis) throws InterruptedException {
    thread.join(millis);
  }
}
