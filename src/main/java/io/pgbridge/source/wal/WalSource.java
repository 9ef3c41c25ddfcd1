package io.pgbridge.source.wal;

import io.pgbridge.BridgeState;
import io.pgbridge.checkpoint.CheckpointStore;
import io.pgbridge.checkpoint.Checkpointer;
import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.ChangeSources.Op;
import io.pgbridge.coalesce.SessionCoalescer;
import io.pgbridge.config.Identifiers;
import io.pgbridge.metrics.WarnOnce;
import io.pgbridge.source.ChangeSource;
import io.pgbridge.source.Recovery;
import io.pgbridge.source.wal.PgOutputMessage.Begin;
import io.pgbridge.source.wal.PgOutputMessage.Commit;
import io.pgbridge.source.wal.PgOutputMessage.Delete;
import io.pgbridge.source.wal.PgOutputMessage.Insert;
import io.pgbridge.source.wal.PgOutputMessage.Message;
import io.pgbridge.source.wal.PgOutputMessage.Relation;
import io.pgbridge.source.wal.PgOutputMessage.Truncate;
import io.pgbridge.source.wal.PgOutputMessage.Update;
import io.pgbridge.source.wal.ReplicationSlots.SlotState;
import io.pgbridge.time.Ticker;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WAL change source ({@code source.mode=wal}): a logical replication slot read with
 * pgoutput (protocol 1, {@code messages} on) over a {@code replication=database} connection of
 * its own. Row changes of the publication's tables become the same coalescer marks the NOTIFY
 * triggers would have caused ({@link ChangeRouter}), but only once their transaction is
 * visible to a new snapshot; {@code pgbridge.barrier} messages reach the {@link Checkpointer}
 * after the marks before them; a TRUNCATE of the sessions table (a pgoutput TRUNCATE or a
 * {@code pgbridge.truncate} message) walks the deletion log since the stored checkpoint, one
 * page per poll. The slot's confirmed position is the acknowledgement: it passes a transaction
 * only once Kafka acknowledged every session it marked ({@link FlushTracker}).
 *
 * <p>{@link #begin} checks the slot: refuses one recorded by another bridge, creates it on
 * first start and re-creates it when it was dropped or invalidated (logged at ERROR, counted in
 * {@code pgbridge_wal_slot_recreated_total}, shown in {@code /status}), recording in the
 * bridge's {@code pgbridge_checkpoint} row, before creating, the catch-up the new slot owes
 * ({@code wal_catchup_from}: the stored checkpoint, or {@code all}); it returns that catch-up
 * as the {@link Recovery}, again on every start until {@link #recovered} clears it.
 *
 * <p>Wiring: {@code new WalSource(settings, pool, coalescer, checkpointer::barrierArrived,
 * checkpointStore, changeSources, new WalMetrics(bridgeMetrics, changeSources), bridgeState,
 * ticker, clock)}. {@code pool} is the bridge's HikariCP pool (visibility queries, slot SQL,
 * probes); {@code checkpointStore} the bridge's store (owed catch-up, the deletion-log walk).
 * Threads: the runner thread calls everything but {@link #abort()} and {@link #status()}, which
 * any thread may call.
 */
public final class WalSource implements ChangeSource {

  private static final Logger log = LoggerFactory.getLogger(WalSource.class);
  static final String BARRIER_PREFIX = "pgbridge.barrier";
  static final String TRUNCATE_PREFIX = "pgbridge.truncate";
  /** Messages read per pass, so that marks, the acknowledgement and status go in between. */
  private static final int READ_BUDGET = 2_000;
  /** Distinct marks waiting in received transactions before reading pauses. */
  private static final int MAX_QUEUED_MARKS = 200_000;
  /**
   * Received transactions not yet confirmed before reading pauses (Kafka lags): the server
   * keeps the WAL; status updates still go every interval, so wal_sender_timeout does not fire.
   */
  static final long MAX_PENDING_TRANSACTIONS = 1_000_000;
  private static final int STRIKES = 2;
  /** A committed transaction invisible this long makes the sync standby check run at once. */
  private static final long INVISIBLE_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** How often the probe looks for leaf partitions whose replica identity lacks session_id. */
  private static final long IDENTITY_CHECK_NANOS = TimeUnit.MINUTES.toNanos(1);

  /**
   * The source's settings. {@code slotName} is the configured or derived
   * ({@link SlotNames#derive}) name; {@code publication} is {@code wal.publication.name};
   * {@code pageSize} is {@code catchup.page.size} (the deletion-log walk after a TRUNCATE).
   */
  public record Settings(String url, String user, String password, String applicationName,
      String schema, String sessionsTable, String bridgeId, String slotName, String publication,
      long statusIntervalMs, boolean failover, boolean catchupInitialAll, int pageSize) {

    public Settings {
      String problem = SlotNames.problem(slotName);
      if (problem != null) {
        throw new IllegalArgumentException("wal.slot.name '" + slotName + "': " + problem);
      }
      Identifiers.quote(schema);
      Identifiers.quote(sessionsTable);
      Identifiers.quote(publication);
      if (statusIntervalMs < 1 || pageSize < 1) {
        throw new IllegalArgumentException("status interval and page size must be positive");
      }
    }

    @Override
    public String toString() {
      // the URL's query may hold a password too
      int query = url == null ? -1 : url.indexOf('?');
      return "Settings[url=" + (query < 0 ? url : url.substring(0, query)) + ", user=" + user + ", slot=" + slotName + ", publication="
          + publication + "]";
    }
  }

  /** Where barriers go: {@code checkpointer::barrierArrived} in production. */
  @FunctionalInterface
  public interface BarrierSink {
    void barrierArrived(String barrierId, long seq);
  }

  private final Settings settings;
  private final DataSource pool;
  private final SessionCoalescer coalescer;
  private final WalMetrics metrics;
  private final BridgeState state;
  private final Ticker ticker;
  private final ReplicationSlots slots;
  private final SlotKeeper keeper;
  private final ChangeRouter router;
  private final FlushTracker tracker;
  private final CommittedTransactions committed;
  private final WarnOnce warn = new WarnOnce(log);
  private final StreamFailures failures = new StreamFailures();

  private volatile Connection current;
  private PGReplicationStream stream;
  private int major;
  private volatile int backendPid;
  private CommittedTransactions.Txn open;
  private int strikes;
  private volatile long receivedLsn;
  private volatile SlotState lastSlot = SlotState.missing();
  private volatile String syncState;
  private long lastSyncCheck;
  private final List<String> childTables;
  private long lastIdentityCheck;
  private boolean identityChecked;
  private String identityReported;
  /** The WAL insert position when this connection began with the ALL catch-up; else -1. */
  private long coveredByCatchUp = -1;

  public WalSource(Settings settings, DataSource pool, SessionCoalescer coalescer,
      Checkpointer checkpointer, CheckpointStore store, ChangeSources sources,
      WalMetrics metrics, BridgeState state, Ticker ticker, Clock clock) {
    this(settings, pool, coalescer, checkpointer::barrierArrived, store, sources, metrics,
        state, ticker, clock);
  }

  public WalSource(Settings settings, DataSource pool, SessionCoalescer coalescer,
      BarrierSink barriers, CheckpointStore store, ChangeSources sources, WalMetrics metrics,
      BridgeState state, Ticker ticker, Clock clock) {
    if (sources.tableIndex(settings.sessionsTable()) != 0) {
      throw new IllegalArgumentException("the sessions table must be table 0 of the sources");
    }
    this.settings = settings;
    this.pool = pool;
    this.coalescer = coalescer;
    this.metrics = metrics;
    this.state = state;
    this.ticker = ticker;
    this.slots = new ReplicationSlots(pool, settings.schema(), settings.bridgeId(),
        settings.slotName());
    this.keeper = new SlotKeeper(slots, store, settings, metrics, state, clock);
    this.router = new ChangeRouter(sources, settings.schema());
    this.childTables = sources.tables().subList(1, sources.tables().size());
    this.tracker = new FlushTracker(ticker, settings.statusIntervalMs());
    this.committed = new CommittedTransactions(coalescer, barriers, this::currentSnapshot,
        new CommittedTransactions.DeletionLog() {
          @Override
          public String since() throws SQLException {
            return store.load().map(CheckpointStore.Checkpoint::snapshot).orElse(null);
          }

          @Override
          public List<UUID> page(String since, UUID after, int limit) throws SQLException {
            return store.deletedSince(since, after, limit);
          }
        }, tracker, this::unroutable, ticker, settings.pageSize());
    metrics.confirmedAge(tracker::owedSeconds);
  }

  @Override
  public String name() {
    return "wal";
  }

  @Override
  public Connection connect() throws SQLException {
    Properties props = new Properties();
    if (settings.user() != null && !settings.user().isEmpty()) {
      props.setProperty("user", settings.user());
    }
    if (settings.password() != null && !settings.password().isEmpty()) {
      props.setProperty("password", settings.password());
    }
    props.setProperty("ApplicationName", settings.applicationName());
    props.setProperty("replication", "database");
    props.setProperty("preferQueryMode", "simple");
    props.setProperty("assumeMinServerVersion", "10");
    props.setProperty("tcpKeepAlive", "true");
    props.setProperty("connectTimeout", "10");
    // no socketTimeout: creating a slot waits for transactions running at the time
    Connection c = DriverManager.getConnection(settings.url(), props);
    current = c;
    return c;
  }

  @Override
  public Recovery begin(Connection conn) throws SQLException {
    current = conn;
    resetConnectionState();
    major = ReplicationSlots.serverMajor(conn);
    if (settings.failover() && major < 17) {
      throw new SQLException("wal.slot.failover=true needs PostgreSQL 17 or later (this server"
          + " is " + major + "): set wal.slot.failover=false", "55000");
    }
    backendPid = ReplicationSlots.backendPid(conn);
    refuseSynchronousStandby(conn);
    String owed = keeper.prepare(conn, major);
    coveredByCatchUp = ReplicationSlots.ALL.equals(owed) ? currentWalLsn(conn) : -1;
    try {
      startStream(conn);
    } catch (SQLException e) {
      owed = keeper.afterFailedStart(e, major);
      coveredByCatchUp = ReplicationSlots.ALL.equals(owed) ? currentWalLsn(conn) : -1;
      startStream(conn);
    }
    return SlotKeeper.recovery(owed);
  }

  private static long currentWalLsn(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
      rs.next();
      return LogSequenceNumber.valueOf(rs.getString(1)).asLong();
    }
  }

  private void resetConnectionState() {
    stream = null;
    open = null;
    committed.clear();
    strikes = 0;
    router.reset();
  }

  private void startStream(Connection conn) throws SQLException {
    SlotState slot = slots.read(conn, major);
    try {
      stream = conn.unwrap(PGConnection.class).getReplicationAPI().replicationStream()
          .logical()
          .withSlotName(settings.slotName())
          .withSlotOption("proto_version", "1")
          .withSlotOption("publication_names", Identifiers.quote(settings.publication()))
          .withSlotOption("messages", "true")
          .withStatusInterval((int) Math.min(Integer.MAX_VALUE, settings.statusIntervalMs()),
              TimeUnit.MILLISECONDS)
          // pgjdbc would otherwise confirm keepalive positions past transactions whose
          // sessions are not yet published
          .withAutomaticFlush(false)
          .start();
    } catch (SQLException e) {
      // 55006: another walsender still holds the slot (a previous connection not yet ended)
      throw slots.active(e);
    }
    tracker.reset(slot.confirmedFlushLsn());
    receivedLsn = slot.confirmedFlushLsn();
    lastSlot = slot;
    log.info("streaming replication slot {} (publication {}) from {}", settings.slotName(),
        settings.publication(), LogSequenceNumber.valueOf(slot.confirmedFlushLsn()).asString());
  }

  @Override
  public void poll(long timeoutMs) throws SQLException, InterruptedException {
    if (stream == null) {
      throw new IllegalStateException("poll() before begin()");
    }
    long deadline = ticker.nanos() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (true) {
      boolean read = committed.queuedMarks() < MAX_QUEUED_MARKS
          && tracker.pendingTransactions() < MAX_PENDING_TRANSACTIONS && read();
      boolean applied = committed.apply();
      acknowledge();
      if (committed.invisibleNanos() > INVISIBLE_CHECK_NANOS
          && ticker.nanos() - lastSyncCheck > INVISIBLE_CHECK_NANOS) {
        // with synchronous replication it stays invisible until this bridge confirms it
        lastSyncCheck = ticker.nanos();
        String sync;
        try (Connection c = pool.getConnection()) {
          sync = ReplicationSlots.syncState(c, backendPid);
        }
        syncState(sync);
      }
      long left = deadline - ticker.nanos();
      if (read || applied || left <= 0) {
        return;
      }
      long wait = Math.min(left, TimeUnit.MILLISECONDS.toNanos(5));
      long check = committed.nextCheck() - ticker.nanos();
      if (committed.waiting() > 0 && check > 0) {
        wait = Math.min(wait, Math.max(check, 100_000));
      }
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }

  /** Reads and dispatches what the stream has; returns whether anything arrived. */
  private boolean read() throws SQLException {
    boolean any = false;
    for (int i = 0; i < READ_BUDGET; i++) {
      ByteBuffer data = stream.readPending();
      receivedLsn = stream.getLastReceiveLSN().asLong();
      if (data == null) {
        break;
      }
      any = true;
      try {
        dispatch(PgOutputDecoder.decode(data));
      } catch (WalProtocolException e) {
        metrics.error(WalProtocolException.KIND);
        String at = LogSequenceNumber.valueOf(receivedLsn).asString();
        warn.warn(WalProtocolException.KIND, "replication stream of slot {} at {}: {}",
            settings.slotName(), at, e.getMessage());
        state.lastError("replication stream at " + at + ": " + e.getMessage());
        // nothing at or after this position is confirmed: the server sends it again
        SQLException failure = failures.classify(e, receivedLsn);
        if (!StreamFailures.TRANSIENT.equals(failure.getSQLState())) {
          log.error("{}", failure.getMessage());
        }
        throw failure;
      }
    }
    return any;
  }

  private void dispatch(PgOutputMessage m) throws WalProtocolException, SQLException {
    if (m instanceof Begin b) {
      if (open != null) {
        throw new WalProtocolException("Begin of xid " + Integer.toUnsignedString(b.xid())
            + " inside the transaction of xid " + Integer.toUnsignedString(open.xid));
      }
      open = committed.begin(b.xid());
    } else if (m instanceof Commit c) {
      CommittedTransactions.Txn t = inTxn("Commit");
      open = null;
      if (t.unkeyedTable() != null) {
        lostRouting(t.unkeyedTable(), c.endLsn());
      }
      committed.commit(t, c.endLsn());
    } else if (m instanceof Relation r) {
      router.relation(r);
    } else if (m instanceof Insert i) {
      CommittedTransactions.Txn t = inTxn("Insert");
      count(i.relationOid(), Op.INSERT);
      router.insert(i, t);
    } else if (m instanceof Update u) {
      CommittedTransactions.Txn t = inTxn("Update");
      count(u.relationOid(), Op.UPDATE);
      router.update(u, t);
    } else if (m instanceof Delete d) {
      CommittedTransactions.Txn t = inTxn("Delete");
      count(d.relationOid(), Op.DELETE);
      router.delete(d, t);
    } else if (m instanceof Truncate tr) {
      CommittedTransactions.Txn t = inTxn("Truncate");
      for (String table : router.truncated(tr)) {
        metrics.change(table, WalMetrics.TRUNCATE);
      }
      if (router.truncatesSessions(tr)) {
        t.truncate();
      }
    } else if (m instanceof Message msg) {
      message(msg);
    }
    // Origin and Type say nothing about which sessions changed
  }

  private void message(Message msg) throws WalProtocolException {
    boolean barrier = BARRIER_PREFIX.equals(msg.prefix());
    boolean truncate = TRUNCATE_PREFIX.equals(msg.prefix());
    if (!barrier && !truncate) {
      return; // another application's message
    }
    if (!msg.transactional() || open == null) {
      // outside a transaction it is not ordered with the changes it is about
      warn.warn("untransactional:" + msg.prefix(), "ignored a non-transactional {} message:"
          + " pgbridge emits them with pg_logical_emit_message(true, ...)", msg.prefix());
      return;
    }
    if (barrier) {
      open.barrier(new String(msg.content(), StandardCharsets.UTF_8));
    } else {
      open.truncate();
    }
  }

  private CommittedTransactions.Txn inTxn(String what) throws WalProtocolException {
    if (open == null) {
      throw new WalProtocolException(what + " outside a transaction");
    }
    return open;
  }

  private void count(int relationOid, Op op) throws WalProtocolException {
    int table = router.tableIndex(relationOid);
    if (table >= 0) {
      metrics.change(router.tableName(relationOid), op.name());
      metrics.bridge().received(table, op);
    }
  }

  /** Advances the confirmed position and sends it when a status update is due. */
  private void acknowledge() throws SQLException {
    long confirmed = tracker.advance(coalescer.lowWatermark(), receivedLsn, open != null);
    if (tracker.statusDue()) {
      LogSequenceNumber lsn = LogSequenceNumber.valueOf(confirmed);
      stream.setFlushedLSN(lsn);
      stream.setAppliedLSN(lsn);
      stream.forceUpdateStatus();
      tracker.statusSent();
    }
  }

  @Override
  public void probe() throws SQLException {
    SlotState slot;
    String sync;
    try (Connection c = pool.getConnection()) {
      slot = slots.read(c, major);
      sync = ReplicationSlots.syncState(c, backendPid);
    }
    lastSlot = slot;
    metrics.slotPositions(slot.lagBytes(), slot.retainedBytes());
    if (!slot.exists() || slot.invalidation() != null) {
      abort();
      throw new SQLException("replication slot " + settings.slotName() + " is "
          + (slot.exists() ? slot.invalidation() : "gone") + " while streaming", "08006");
    }
    Integer pid = slot.activePid();
    if (pid == null || pid != backendPid) {
      strikes++;
      if (strikes >= STRIKES) {
        abort();
        throw new SQLException("replication slot " + settings.slotName() + " is streamed by "
            + (pid == null ? "no process" : "process " + pid) + ", not this connection's "
            + backendPid + ": reconnecting", "08006");
      }
    } else {
      strikes = 0;
    }
    syncState(sync);
    if (!identityChecked || ticker.nanos() - lastIdentityCheck > IDENTITY_CHECK_NANOS) {
      identityChecked = true;
      lastIdentityCheck = ticker.nanos();
      checkChildIdentities();
    }
  }

  /**
   * Leaf partitions of the child tables whose replica identity lacks session_id (attached
   * after migrate): their deletes would name no session. Reported before one happens.
   */
  private void checkChildIdentities() {
    String prefix = Identifiers.quote(settings.schema()) + ".";
    List<String> leaves = new ArrayList<>();
    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(
        "SELECT t.relid::text FROM " + prefix + "pgbridge_relations(?::regclass) t WHERE"
            + " t.isleaf AND NOT ('session_id' = ANY (" + prefix
            + "pgbridge_replica_identity_columns(t.relid))) ORDER BY 1")) {
      for (String table : childTables) {
        ps.setString(1, Identifiers.qualified(settings.schema(), table));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            leaves.add(rs.getString(1));
          }
        }
      }
    } catch (SQLException e) {
      log.debug("reading the child tables' replica identities", e);
      return;
    }
    if (leaves.isEmpty()) {
      identityReported = null;
      return;
    }
    metrics.error(WalMetrics.UNROUTED);
    String message = "the replica identity of " + String.join(", ", leaves) + " lacks"
        + " session_id (a partition attached after migrate?): a DELETE there would name no"
        + " session and cost a republish of every session; run `pgbridge migrate"
        + " --source-mode wal`";
    if (!message.equals(identityReported)) {
      identityReported = message;
      log.error("{}", message);
    }
    state.lastError(message);
  }

  /**
   * A synchronous standby's commits wait for its confirmation before they become visible,
   * and this source waits for their visibility before it marks and confirms: writers would
   * hang. The bridge gives up (fatal): its connection ends, and the writers wait only for the
   * standbys synchronous_standby_names names besides it.
   */
  private void syncState(String sync) throws SQLException {
    syncState = sync;
    if (!SyncStandby.waitedFor(sync)) {
      return;
    }
    metrics.error(WalMetrics.SYNC_STANDBY);
    String message = "the replication connection of slot " + settings.slotName()
        + " (application_name " + settings.applicationName() + ") is a synchronous standby"
        + " (sync_state " + sync + "): commits would wait for this bridge while it waits for"
        + " them to become visible; remove it from synchronous_standby_names (list the"
        + " standbys by name instead of '*') and SELECT pg_reload_conf()";
    log.error("{}", message);
    state.lastError(message);
    abort();
    throw new SQLException(message, "55000");
  }

  /** Refuses to stream when synchronous_standby_names would match this connection. */
  private void refuseSynchronousStandby(Connection conn) throws SQLException {
    String names;
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT current_setting('synchronous_standby_names')")) {
      rs.next();
      names = rs.getString(1);
    }
    String match = SyncStandby.match(names, List.of(settings.applicationName()));
    if (match != null) {
      metrics.error(WalMetrics.SYNC_STANDBY);
      String message = "synchronous_standby_names = '" + names + "' names " + match
          + ", which the replication connection of slot " + settings.slotName()
          + " (application_name " + settings.applicationName() + ") matches: every commit"
          + " would wait for this bridge while it waits for them to become visible; list the"
          + " standbys by name instead of '*' and never the bridge, then SELECT"
          + " pg_reload_conf()";
      log.error("{}", message);
      state.lastError(message);
      throw new SQLException(message, "55000");
    }
  }

  @Override
  public void recovered(Recovery done) throws SQLException {
    keeper.recovered(done);
  }

  @Override
  public void drain() {
    committed.drain();
  }

  private String currentSnapshot() throws SQLException {
    try (Connection c = pool.getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_current_snapshot()::text")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /**
   * A committed transaction changed a child row whose old key names no session: which
   * session's record is stale is unknown, and no later catch-up from a checkpoint would see it
   * (a child's delete leaves no trace in the sessions table). Covered only by republishing
   * every session: when this connection began with that catch-up after the transaction
   * committed, it is; otherwise the catch-up is recorded as owed (durably, in the bridge row)
   * and the connection ends, so that the next one runs it. Nothing is confirmed past the
   * transaction before that. Loud every time: the fix is migrate, which gives the new
   * partitions their replica identity.
   */
  private void lostRouting(String table, long endLsn) throws SQLException {
    String at = LogSequenceNumber.valueOf(endLsn).asString();
    if (coveredByCatchUp >= endLsn) {
      log.warn("a change of table {} at {} names no session; the catch-up of every session"
          + " running on this connection covers it", table, at);
      return;
    }
    String message = "a change of table " + table + " (committed at " + at + ") names no"
        + " session: a partition of it has a replica identity without session_id (attached"
        + " after migrate?); run `pgbridge migrate --source-mode wal` (and `pgbridge check`)."
        + " Every session is republished to cover it";
    log.error("{}", message);
    metrics.error(WalMetrics.UNROUTED);
    state.lastError(message);
    keeper.oweAll();
    abort();
    throw new SQLException(message + ": reconnecting to run that catch-up", "08006");
  }

  private void unroutable(String table, Op op, String why) {
    metrics.error(WalMetrics.UNROUTED);
    if (warn.warn(WalMetrics.UNROUTED + ':' + table, "a {} of table {} names no session ({}):"
        + " nothing to publish for it", op, table, why)) {
      state.lastError("changes of table " + table + " name no session: " + why);
    }
  }

  @Override
  public void abort() {
    Connection c = current;
    if (c == null) {
      return;
    }
    try {
      // abort, not close: close would wait for the stream's lock held by a reading thread
      c.abort(Runnable::run);
    } catch (SQLException | RuntimeException e) {
      log.debug("aborting the replication connection", e);
      try {
        c.close();
      } catch (SQLException e2) {
        log.debug("closing the replication connection", e2);
      }
    }
  }

  @Override
  public Map<String, Object> status() {
    SlotState s = lastSlot;
    Map<String, Object> slot = new LinkedHashMap<>();
    slot.put("name", settings.slotName());
    slot.put("active", s.active());
    slot.put("confirmedFlushLsn", lsnText(s.confirmedFlushLsn()));
    slot.put("restartLsn", lsnText(s.restartLsn()));
    slot.put("lagBytes", Double.isNaN(s.lagBytes()) ? null : (long) s.lagBytes());
    slot.put("retainedBytes", Double.isNaN(s.retainedBytes()) ? null : (long) s.retainedBytes());
    slot.put("lastLoss", keeper.lastLoss());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("slot", slot);
    out.put("receivedLsn", lsnText(receivedLsn));
    out.put("confirmedLsn", lsnText(tracker.confirmed()));
    out.put("publication", settings.publication());
    out.put("syncState", syncState);
    return out;
  }

  /** The position the slot was last told it may confirm (the heartbeat's position). */
  public String confirmedLsn() {
    return lsnText(tracker.confirmed());
  }

  /** The slot name this source streams. */
  public String slotName() {
    return settings.slotName();
  }

  private static String lsnText(long lsn) {
    return lsn == 0 ? null : LogSequenceNumber.valueOf(lsn).asString();
  }
}
