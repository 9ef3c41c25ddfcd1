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
import io.pgbridge.source.wal.ChangeRouter.Mark;
import io.pgbridge.source.wal.PgOutputMessage.Begin;
import io.pgbridge.source.wal.PgOutputMessage.Commit;
import io.pgbridge.source.wal.PgOutputMessage.Delete;
import io.pgbridge.source.wal.PgOutputMessage.Insert;
import io.pgbridge.source.wal.PgOutputMessage.Message;
import io.pgbridge.source.wal.PgOutputMessage.Relation;
import io.pgbridge.source.wal.PgOutputMessage.Truncate;
import io.pgbridge.source.wal.PgOutputMessage.Update;
import io.pgbridge.source.wal.ReplicationSlots.Recorded;
import io.pgbridge.source.wal.ReplicationSlots.SlotState;
import io.pgbridge.time.Ticker;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
  /** Visibility re-checks while the head transaction is still invisible, in milliseconds. */
  private static final long[] VISIBILITY_BACKOFF_MS = {1, 2, 5, 10};
  /** Messages read per pass, so that marks, the acknowledgement and status go in between. */
  private static final int READ_BUDGET = 2_000;
  /** Distinct marks waiting in received transactions before reading pauses. */
  private static final int MAX_QUEUED_MARKS = 200_000;
  private static final int STRIKES = 2;

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
      return "Settings[url=" + url + ", user=" + user + ", slot=" + slotName + ", publication="
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
  private final BarrierSink barriers;
  private final CheckpointStore store;
  private final WalMetrics metrics;
  private final BridgeState state;
  private final Ticker ticker;
  private final Clock clock;
  private final ReplicationSlots slots;
  private final ChangeRouter router;
  private final FlushTracker tracker;
  private final WarnOnce warn = new WarnOnce(log);
  private final int backlogLimit;

  private volatile Connection current;
  private volatile boolean draining;
  private PGReplicationStream stream;
  private int major;
  private volatile int backendPid;
  private Txn open;
  private final ArrayDeque<Txn> queue = new ArrayDeque<>();
  private int queuedMarks;
  private DeletionWalk walk;
  private int visibilityAttempt;
  private long nextVisibilityCheck;
  private int strikes;
  private volatile long receivedLsn;
  private volatile SlotState lastSlot = SlotState.missing();
  private volatile Map<String, Object> lastLoss;
  private volatile String syncState;

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
    this.barriers = barriers;
    this.store = store;
    this.metrics = metrics;
    this.state = state;
    this.ticker = ticker;
    this.clock = clock;
    this.slots = new ReplicationSlots(pool, settings.schema(), settings.bridgeId(),
        settings.slotName());
    this.router = new ChangeRouter(sources, settings.schema());
    this.tracker = new FlushTracker(ticker, settings.statusIntervalMs());
    this.backlogLimit = Math.max(1_000, 2 * settings.pageSize());
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
    List<String> others = slots.recordedByOthers();
    if (!others.isEmpty()) {
      throw slots.foreign(others.get(0));
    }
    Recorded recorded = slots.recorded();
    String owed = recorded.catchupFrom();
    SlotState slot = slots.read(conn, major);
    if (slot.exists() && (!"pgoutput".equals(slot.plugin()) || !slot.ourDatabase())) {
      throw new SQLException("replication slot " + settings.slotName() + " exists but is not a"
          + " pgoutput slot of this database (plugin " + slot.plugin() + "): set wal.slot.name"
          + " to another name, or drop that slot", "55000");
    }
    String invalid = slot.invalidation();
    boolean ours = settings.slotName().equals(recorded.slot());
    if (!slot.exists() && ours) {
      owed = recreate(recorded, "dropped", "it is missing from pg_replication_slots", false);
    } else if (invalid != null) {
      owed = recreate(recorded, "invalidated", invalid, true);
    } else if (!slot.exists()) {
      if (recorded.slot() != null && !ours) {
        log.warn("this bridge used replication slot {} before, now {} (wal.slot.name changed):"
            + " drop the old slot if it still exists, it retains WAL", recorded.slot(),
            settings.slotName());
      }
      owed = owedCatchUp(recorded);
      slots.record(owed);
      slots.create(settings.failover());
      log.info("created replication slot {} on publication {}; catch-up from {}",
          settings.slotName(), settings.publication(), describe(owed));
    } else if (!ours) {
      // a slot of this name that this bridge did not record (created by hand): its position
      // says nothing about what was published, so the checkpoint's catch-up runs once
      owed = owedCatchUp(recorded);
      slots.record(owed);
      log.info("adopting existing replication slot {}; catch-up from {}", settings.slotName(),
          describe(owed));
    }
    try {
      startStream(conn);
    } catch (SQLException e) {
      String lost = lostOnStart(e);
      if (lost == null) {
        throw e;
      }
      owed = recreate(slots.recorded(), lost.startsWith("does not exist") ? "dropped"
          : "invalidated", "START_REPLICATION failed: " + e.getMessage(), true);
      startStream(conn);
    }
    return recovery(owed);
  }

  private void resetConnectionState() {
    stream = null;
    open = null;
    queue.clear();
    queuedMarks = 0;
    walk = null;
    visibilityAttempt = 0;
    nextVisibilityCheck = 0;
    strikes = 0;
    router.reset();
  }

  /**
   * The slot was lost: records the owed catch-up, drops what is left of the slot and creates
   * it again. Returns the owed catch-up.
   */
  private String recreate(Recorded recorded, String reason, String what, boolean drop)
      throws SQLException {
    String owed = owedCatchUp(recorded);
    log.error("replication slot {} was {} ({}): creating it again; the changes it held are"
        + " published again by a catch-up from {}", settings.slotName(), reason, what,
        describe(owed));
    metrics.recreated(reason);
    lastLoss = Map.of("at", Instant.now(clock).toString(), "reason", reason);
    state.lastError("replication slot " + settings.slotName() + " was " + reason + " (" + what
        + "): re-created, catching up from " + describe(owed));
    slots.record(owed);
    if (drop) {
      slots.drop();
    }
    slots.create(settings.failover());
    return owed;
  }

  /**
   * What a slot created now owes: an unfinished catch-up (still owed, and never newer than the
   * stored checkpoint), else the stored checkpoint, else (first start) every session with
   * {@code catchup.initial=all}, or the current snapshot, stored as the first checkpoint, with
   * {@code catchup.initial=none} (only what commits before the slot exists is then replayed).
   */
  private String owedCatchUp(Recorded recorded) throws SQLException {
    if (recorded.catchupFrom() != null) {
      return recorded.catchupFrom();
    }
    Optional<CheckpointStore.Checkpoint> checkpoint = store.load();
    if (checkpoint.isPresent()) {
      return checkpoint.get().snapshot();
    }
    if (settings.catchupInitialAll()) {
      store.register();
      return ReplicationSlots.ALL;
    }
    String now = store.currentSnapshot();
    store.store(now);
    return now;
  }

  private static String describe(String owed) {
    return owed == null ? "nothing" : ReplicationSlots.ALL.equals(owed)
        ? "the beginning (every session)" : "snapshot " + owed;
  }

  private static Recovery recovery(String owed) {
    if (owed == null) {
      return Recovery.none();
    }
    return ReplicationSlots.ALL.equals(owed) ? Recovery.all() : Recovery.from(owed);
  }

  /** Why START_REPLICATION's error means the slot is lost, or null when it does not. */
  static String lostOnStart(SQLException e) {
    String m = String.valueOf(e.getMessage());
    if (m.contains("can no longer get changes") || m.contains("has been invalidated")
        || m.contains("was invalidated")) {
      return "invalidated";
    }
    if ("42704".equals(e.getSQLState()) && m.contains("replication slot")
        && m.contains("does not exist")) {
      return "does not exist";
    }
    return null;
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
      boolean read = queuedMarks < MAX_QUEUED_MARKS && read();
      boolean applied = apply();
      acknowledge();
      long left = deadline - ticker.nanos();
      if (read || applied || left <= 0) {
        return;
      }
      long wait = Math.min(left, TimeUnit.MILLISECONDS.toNanos(5));
      if (!queue.isEmpty() && nextVisibilityCheck - ticker.nanos() > 0) {
        wait = Math.min(wait, Math.max(nextVisibilityCheck - ticker.nanos(), 100_000));
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
        throw new SQLException("pgoutput protocol error at " + at + ": " + e.getMessage(),
            "08P01", e);
      }
    }
    return any;
  }

  private void dispatch(PgOutputMessage m) throws WalProtocolException {
    if (m instanceof Begin b) {
      if (open != null) {
        throw new WalProtocolException("Begin of xid " + Integer.toUnsignedString(b.xid())
            + " inside the transaction of xid " + Integer.toUnsignedString(open.xid));
      }
      open = new Txn(b.xid());
    } else if (m instanceof Commit c) {
      Txn t = inTxn("Commit");
      t.entry = tracker.committed(c.endLsn());
      open = null;
      queue.addLast(t);
      queuedMarks += t.marks;
    } else if (m instanceof Relation r) {
      router.relation(r);
    } else if (m instanceof Insert i) {
      Txn t = inTxn("Insert");
      count(i.relationOid(), Op.INSERT);
      router.insert(i, t);
    } else if (m instanceof Update u) {
      Txn t = inTxn("Update");
      count(u.relationOid(), Op.UPDATE);
      router.update(u, t);
    } else if (m instanceof Delete d) {
      Txn t = inTxn("Delete");
      count(d.relationOid(), Op.DELETE);
      router.delete(d, t);
    } else if (m instanceof Truncate tr) {
      Txn t = inTxn("Truncate");
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

  private Txn inTxn(String what) throws WalProtocolException {
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

  /**
   * Marks the received transactions that are visible now, in commit order; returns whether
   * any was applied. Stops at the first invisible one, or at a deletion-log walk that has pages
   * left.
   */
  private boolean apply() throws SQLException {
    long before = coalescer.lastSeq();
    boolean any = false;
    while (!queue.isEmpty()) {
      Txn t = queue.peekFirst();
      if (t.needsVisibility() && !t.visible && !checkVisibility()) {
        break;
      }
      if (!t.applyStep()) {
        any |= coalescer.lastSeq() != before;
        break;
      }
      queue.pollFirst();
      queuedMarks -= t.marks;
      tracker.applied(t.entry, t.drained ? FlushTracker.NEVER : t.lastSeq);
      any = true;
    }
    return any;
  }

  /**
   * One snapshot for every waiting transaction, if a check is due; true when the head is
   * visible. While it is not, checks back off 1, 2, 5, then every 10 ms.
   */
  private boolean checkVisibility() throws SQLException {
    long now = ticker.nanos();
    if (nextVisibilityCheck - now > 0) {
      return false;
    }
    SnapshotVisibility snapshot;
    try (Connection c = pool.getConnection(); Statement st = c.createStatement();
        var rs = st.executeQuery("SELECT pg_current_snapshot()::text")) {
      rs.next();
      snapshot = SnapshotVisibility.parse(rs.getString(1));
    }
    for (Txn t : queue) {
      if (!t.visible && snapshot.visible(t.xid)) {
        t.visible = true;
      }
    }
    if (queue.peekFirst().visible) {
      visibilityAttempt = 0;
      nextVisibilityCheck = now;
      return true;
    }
    long delay = VISIBILITY_BACKOFF_MS[Math.min(visibilityAttempt,
        VISIBILITY_BACKOFF_MS.length - 1)];
    visibilityAttempt++;
    nextVisibilityCheck = now + TimeUnit.MILLISECONDS.toNanos(delay);
    return false;
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
    syncState = sync;
    if (sync != null && !"async".equals(sync)) {
      metrics.error(WalMetrics.SYNC_STANDBY);
      if (warn.warn("sync", "the replication connection of slot {} is a synchronous standby"
          + " (sync_state {}): writers wait for this bridge; remove application name {} from"
          + " synchronous_standby_names", settings.slotName(), sync, settings.applicationName())) {
        state.lastError("the bridge's replication connection is a synchronous standby"
            + " (sync_state " + sync + "): fix synchronous_standby_names");
      }
    } else {
      warn.reset("sync");
    }
  }

  @Override
  public void recovered(Recovery done) throws SQLException {
    switch (done.kind()) {
      case ALL -> slots.clearCatchup(ReplicationSlots.ALL);
      case SNAPSHOT -> slots.clearCatchup(done.snapshot());
      default -> { }
    }
  }

  @Override
  public void drain() {
    draining = true;
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
    slot.put("lastLoss", lastLoss);
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

  /** A truncate of the sessions table: every session in the deletion log since the checkpoint. */
  private final class DeletionWalk {
    final String since;
    UUID after;

    DeletionWalk(String since) {
      this.since = since;
    }
  }

  /** A barrier inside a transaction, after the marks before it. */
  private record Barrier(String id) {}

  /** The truncate of the sessions table, where it came in its transaction. */
  private static final Object TRUNCATE_SESSIONS = new Object();

  /**
   * One received transaction: its marks (one per session and segment, merged), barriers and
   * truncates in stream order, and how far applying them has come.
   */
  private final class Txn implements ChangeRouter.Sink {
    final int xid;
    final ArrayList<Object> segments = new ArrayList<>();
    LinkedHashMap<UUID, Long> markSegment;
    int marks;
    boolean hasChanges;
    boolean truncates;
    boolean visible;
    boolean drained;
    long lastSeq = FlushTracker.NO_MARKS;
    int next;
    FlushTracker.Entry entry;

    Txn(int xid) {
      this.xid = xid;
    }

    @Override
    public void mark(Mark mark) {
      if (draining) {
        drained = true;
        return;
      }
      hasChanges = true;
      if (markSegment == null) {
        markSegment = new LinkedHashMap<>();
        segments.add(markSegment);
      }
      Long before = markSegment.get(mark.sessionId());
      if (before == null) {
        marks++;
        markSegment.put(mark.sessionId(), mark.bits());
      } else {
        markSegment.put(mark.sessionId(), before | mark.bits());
      }
    }

    @Override
    public void unroutable(String table, Op op, String why) {
      metrics.error(WalMetrics.UNROUTED);
      if (warn.warn(WalMetrics.UNROUTED + ':' + table, "a {} of table {} names no session ({}):"
          + " nothing to publish for it", op, table, why)) {
        state.lastError("changes of table " + table + " name no session: " + why);
      }
    }

    void barrier(String id) {
      segments.add(new Barrier(id));
      markSegment = null;
    }

    void truncate() {
      if (draining) {
        drained = true;
        return;
      }
      if (truncates) {
        return; // a pgoutput TRUNCATE and the trigger's message: one walk sees both
      }
      truncates = true;
      hasChanges = true;
      segments.add(TRUNCATE_SESSIONS);
      markSegment = null;
    }

    boolean needsVisibility() {
      return hasChanges;
    }

    /** Applies what it can; false while a deletion-log walk has pages left. */
    @SuppressWarnings("unchecked")
    boolean applyStep() throws SQLException {
      while (next < segments.size()) {
        Object s = segments.get(next);
        if (s instanceof Barrier b) {
          barriers.barrierArrived(b.id(), coalescer.lastSeq());
        } else if (s == TRUNCATE_SESSIONS) {
          if (!walkPage()) {
            return false;
          }
        } else {
          for (Map.Entry<UUID, Long> e : ((LinkedHashMap<UUID, Long>) s).entrySet()) {
            lastSeq = coalescer.mark(e.getKey(), e.getValue());
          }
        }
        next++;
      }
      return true;
    }

    /** One page of the deletion-log walk; true once the walk is complete. */
    private boolean walkPage() throws SQLException {
      if (walk == null) {
        walk = new DeletionWalk(store.load().map(CheckpointStore.Checkpoint::snapshot)
            .orElse(null));
        log.info("the sessions table was truncated: marking every session deleted since {}",
            walk.since == null ? "the beginning of the deletion log" : walk.since);
      }
      if (coalescer.pendingCount() >= backlogLimit) {
        return false;
      }
      List<UUID> page = store.deletedSince(walk.since, walk.after, settings.pageSize());
      long bits = ChangeSources.bit(0, Op.DELETE);
      for (UUID id : page) {
        lastSeq = coalescer.mark(id, bits);
      }
      if (page.size() < settings.pageSize()) {
        walk = null;
        return true;
      }
      walk.after = page.get(page.size() - 1);
      return false;
    }
  }
}
