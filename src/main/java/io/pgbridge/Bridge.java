package io.pgbridge;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.pgbridge.BridgeState.Role;
import io.pgbridge.checkpoint.CheckpointPosition;
import io.pgbridge.checkpoint.CheckpointStore;
import io.pgbridge.checkpoint.Checkpointer;
import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.Completion;
import io.pgbridge.coalesce.DueSession;
import io.pgbridge.coalesce.SessionCoalescer;
import io.pgbridge.config.BridgeConfig;
import io.pgbridge.connection.SqlErrors;
import io.pgbridge.fetch.SessionRow;
import io.pgbridge.fetch.StateFetcher;
import io.pgbridge.heartbeat.Heartbeater;
import io.pgbridge.heartbeat.TopicEndOffsets;
import io.pgbridge.http.ConnectState;
import io.pgbridge.http.StatusSource;
import io.pgbridge.lead.LeaderLease;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.metrics.WarnOnce;
import io.pgbridge.publish.AckedOffsets;
import io.pgbridge.publish.DeadLetters;
import io.pgbridge.publish.ErrorPolicy;
import io.pgbridge.publish.PublishOutcome;
import io.pgbridge.publish.RecordBuilder;
import io.pgbridge.publish.StatePublisher;
import io.pgbridge.publish.TopicManager;
import io.pgbridge.publish.VersionCache;
import io.pgbridge.recover.RecoveryPlan;
import io.pgbridge.republish.RepublishCoordinator;
import io.pgbridge.republish.RepublishStore;
import io.pgbridge.source.ChangeSource;
import io.pgbridge.source.SourceMode;
import io.pgbridge.source.SourceRunner;
import io.pgbridge.source.notify.ListenerConnector;
import io.pgbridge.source.notify.NotificationParser;
import io.pgbridge.source.notify.NotifySource;
import io.pgbridge.source.wal.WalMetrics;
import io.pgbridge.source.wal.WalSource;
import io.pgbridge.time.Backoff;
import io.pgbridge.time.Ticker;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running pgbridge: wires the change source, coalescer, fetcher, publisher and checkpointer, and
 * owns their threads. {@link #start()} opens the pool and producer and starts the source runner,
 * {@code pipeline.threads} workers, the checkpointer, the heartbeat (when on) and the republish
 * coordinator; {@link #stop()} publishes what is
 * dirty or in flight (bounded by {@code shutdown.timeout.ms}), stores a final checkpoint when it
 * can, and closes everything. No static state: several bridges can run in one JVM.
 */
public final class Bridge implements AutoCloseable, StatusSource {

  private static final Logger log = LoggerFactory.getLogger(Bridge.class);
  private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(15);
  /** How often the leader looks for republish requests; a request is a rare operator action. */
  private static final long REPUBLISH_POLL_MS = 1_000;
  public static final List<String> CHILD_TABLES =
      List.of("generation_todos", "generation_tool_calls", "generation_notes");

  private final BridgeConfig config;
  private final Ticker ticker;
  private final String instanceId;
  private final BridgeState state;
  private final ChangeSources sources;
  private final BridgeMetrics metrics;
  private final SessionCoalescer coalescer;
  private final WarnOnce warn = new WarnOnce(log);
  private final AtomicReference<Exception> failure = new AtomicReference<>();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private final Clock clock;
  private HikariDataSource pool;
  private Producer<byte[], byte[]> producer;
  private KafkaClientMetrics producerMetrics;
  private StatePublisher publisher;
  private VersionCache versions;
  private StateFetcher fetcher;
  private volatile ChangeSource source;
  private SourceRunner runner;
  private Checkpointer checkpointer;
  private Heartbeater heartbeater;
  private TopicEndOffsets endOffsets;
  private RepublishCoordinator republisher;
  private final List<Thread> workers = new ArrayList<>();
  private volatile boolean workersRunning = true;
  private volatile boolean stopping;

  public Bridge(BridgeConfig config, MeterRegistry registry) {
    this(config, registry, Ticker.SYSTEM, Clock.systemUTC());
  }

  public Bridge(BridgeConfig config, MeterRegistry registry, Ticker ticker, Clock clock) {
    this.config = config;
    this.ticker = ticker;
    this.clock = clock;
    this.state = new BridgeState(clock);
    this.instanceId = config.bridgeId() + "-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
    List<String> tables = new ArrayList<>();
    tables.add(config.sessionsTable());
    tables.addAll(CHILD_TABLES);
    this.sources = new ChangeSources(tables);
    this.metrics = new BridgeMetrics(registry, config.bridgeId(), sources, ticker);
    metrics.malformedReasons(NotificationParser.REASONS);
    Backoff retry = new Backoff(config.reconnectBackoffMs(), config.reconnectBackoffMaxMs(),
        ThreadLocalRandom.current()::nextDouble);
    this.coalescer = new SessionCoalescer(ticker, config.debounceMode(), config.debounceMs(),
        config.debounceMaxMs(), retry);
    metrics.gauge("pgbridge.dirty.sessions", "Sessions with changes not yet taken by a worker",
        coalescer::dirtyCount);
    metrics.gauge("pgbridge.inflight.sessions", "Sessions being fetched and published",
        coalescer::inFlightCount);
    metrics.gauge("pgbridge.listener.connected", "1 while the listener connection is up",
        () -> state.connected() ? 1 : 0);
    Gauge.builder("pgbridge.source.info", () -> 1)
        .description("1, tagged with the change source mode (source.mode) of this bridge")
        .tags(metrics.tags()).tag("mode", config.sourceMode().value())
        .register(metrics.registry());
    metrics.gauge("pgbridge.leader", "1 while this instance is the publishing leader",
        () -> state.leader() ? 1 : 0);
    metrics.gauge("pgbridge.checkpoint.age.seconds",
        "Seconds since this instance last stored a checkpoint (since start if never)",
        this::checkpointAgeSeconds);
    metrics.gauge("pgbridge.notification.queue.usage.ratio",
        "pg_notification_queue_usage(): fraction of PostgreSQL's NOTIFY queue in use",
        () -> source instanceof NotifySource n ? n.queueUsage() : 0);
  }

  /**
   * Opens the pool and the producer and starts all threads; does nothing once {@link #stop()}
   * was called (a signal during start-up waits for the start, then stops what it started).
   */
  public synchronized void start() {
    if (stopping) {
      log.info("pgbridge instance {} stopped before it started", instanceId);
      return;
    }
    log.info("starting pgbridge instance {} with {}", instanceId, config.describe());
    state.checkpointStored(null, ticker.nanos());
    pool = new HikariDataSource(poolConfig());
    producer = new KafkaProducer<>(producerConfig());
    producerMetrics = new KafkaClientMetrics(producer, metrics.tags());
    producerMetrics.bindTo(metrics.registry());
    fetcher = new StateFetcher(pool, config.schema(), config.sessionsTable());
    versions = new VersionCache(config.versionCacheSize());
    RecordBuilder builder = new RecordBuilder(config.valueFormat(),
        config.valueFormat() == BridgeConfig.ValueFormat.ENVELOPE && !stateIsJsonb());
    DeadLetters deadLetters = config.deadLetterTopic().isEmpty() ? null
        : new DeadLetters(config.deadLetterTopic(), config.topic(), config.bridgeId(),
            instanceId, config.deadLetterContextHeaders());
    AckedOffsets acked = new AckedOffsets();
    publisher = new StatePublisher(producer, config.topic(), builder, sources,
        versions, acked, metrics, new Outcome(),
        new ErrorPolicy(config.toleratesAllErrors(), deadLetters, config.logErrors()), ticker,
        clock);
    SourceMode mode = config.sourceMode();
    CheckpointStore checkpoints = new CheckpointStore(pool, config.schema(),
        config.sessionsTable(), config.bridgeId(),
        config.haEnabled() && config.haSettleMs() > 0, mode, config.channel());
    CheckpointPosition position = mode == SourceMode.NOTIFY ? new CheckpointPosition(acked)
        : new CheckpointPosition(acked, mode.value(), this::confirmedLsn);
    checkpointer = new Checkpointer(checkpoints, coalescer, state, metrics, ticker,
        instanceId, config.checkpointIntervalMs(), position);
    if (config.heartbeatIntervalMs() > 0) {
      Map<String, Object> admin = config.adminClientProperties();
      admin.put(AdminClientConfig.CLIENT_ID_CONFIG, "pgbridge-heartbeat-" + instanceId);
      endOffsets = new TopicEndOffsets(Admin.create(admin), config.topic());
      heartbeater = new Heartbeater(producer, config.heartbeatTopic(), config.bridgeId(),
          instanceId, config.heartbeatIntervalMs(), position, acked, endOffsets, state,
          metrics, ticker, clock);
    }
    republisher = new RepublishCoordinator(pool, new RepublishStore(config.schema(),
        config.sessionsTable(), config.bridgeId()), coalescer, state, metrics, ticker,
        instanceId, config.catchupPageSize(), REPUBLISH_POLL_MS, acked::allRepublished);
    source = switch (mode) {
      case NOTIFY -> notifySource();
      case WAL -> walSource(checkpoints);
    };
    runner = new SourceRunner(source, new SourceRunner.Wiring(checkpoints::requireRecordedMode,
        config.haEnabled() ? new LeaderLease(config.bridgeId(), config.haRetryMs(), ticker)
            : null,
        new RecoveryPlan(checkpoints, coalescer, metrics, config.catchupInitialAll(),
            config.catchupPageSize(), config.haEnabled() ? config.haSettleMs() : 0, ticker),
        coalescer, state, metrics,
        new Backoff(config.reconnectBackoffMs(), config.reconnectBackoffMaxMs(),
            ThreadLocalRandom.current()::nextDouble),
        ticker, config.listenPollTimeoutMs(), Math.max(1_000, 2L * config.catchupPageSize()),
        this::fail, versions::clear), instanceId);
    for (int i = 0; i < config.pipelineThreads(); i++) {
      Thread t = new Thread(this::workLoop, "pgbridge-worker-" + instanceId + "-" + i);
      t.setDaemon(true);
      workers.add(t);
    }
    runner.start();
    workers.forEach(Thread::start);
    checkpointer.start();
    if (heartbeater != null) {
      heartbeater.start();
    }
    republisher.start();
  }

  private NotifySource notifySource() {
    ListenerConnector connector = new ListenerConnector(config.databaseUrl(),
        config.databaseUser(), config.databasePassword().value(),
        "pgbridge-listener-" + instanceId);
    return new NotifySource(connector, config.channel(), new NotificationParser(sources),
        coalescer, checkpointer, metrics, state::lastError);
  }

  /**
   * The replication connection reports the slot's name as its application_name: what
   * pg_stat_replication shows, and what `pgbridge check` compares with
   * synchronous_standby_names.
   */
  private WalSource walSource(CheckpointStore checkpoints) {
    WalSource.Settings settings = new WalSource.Settings(config.databaseUrl(),
        config.databaseUser(), config.databasePassword().value(),
        config.walSlotName(), config.schema(), config.sessionsTable(),
        config.bridgeId(), config.walSlotName(), config.walPublicationName(),
        config.walStatusIntervalMs(), config.walSlotFailover(), config.catchupInitialAll(),
        config.catchupPageSize());
    return new WalSource(settings, pool, coalescer, checkpointer, checkpoints, sources,
        new WalMetrics(metrics, sources), state, ticker, clock);
  }

  /**
   * Whether {@code raw_state} is {@code jsonb}, whose text PostgreSQL guarantees to be valid
   * JSON; any other type (json is checked on input too, but text is not) is validated per
   * record before it is embedded in an envelope. Unknown (database down at start) counts as
   * not jsonb: validating is the safe side.
   */
  private boolean stateIsJsonb() {
    try (var c = pool.getConnection();
        var ps = c.prepareStatement("SELECT data_type FROM information_schema.columns"
            + " WHERE table_schema = ? AND table_name = ? AND column_name = 'raw_state'")) {
      ps.setString(1, config.schema());
      ps.setString(2, config.sessionsTable());
      try (var rs = ps.executeQuery()) {
        return rs.next() && ("jsonb".equals(rs.getString(1)) || "json".equals(rs.getString(1)));
      }
    } catch (SQLException e) {
      log.warn("cannot read the type of raw_state ({}); validating every state",
          SqlErrors.describe(e));
      return false;
    }
  }

  private HikariConfig poolConfig() {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(config.databaseUrl());
    if (!config.databaseUser().isEmpty()) {
      hc.setUsername(config.databaseUser());
    }
    if (!config.databasePassword().value().isEmpty()) {
      hc.setPassword(config.databasePassword().value());
    }
    hc.setMaximumPoolSize(config.poolSize());
    hc.setMinimumIdle(1);
    hc.setPoolName("pgbridge-" + instanceId);
    // hikaricp_connections_* {pool}: pool saturation shows as pending threads and acquire time
    hc.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(metrics.registry()));
    hc.setConnectionTimeout(10_000);
    hc.setInitializationFailTimeout(-1);
    hc.addDataSourceProperty("ApplicationName", "pgbridge-fetch-" + instanceId);
    hc.addDataSourceProperty("tcpKeepAlive", "true");
    hc.addDataSourceProperty("socketTimeout", "60");
    return hc;
  }

  private Map<String, Object> producerConfig() {
    Map<String, Object> p = new HashMap<>();
    // Measured (docs/benchmarks.md): at light load Kafka's default of 5 ms is added to every
    // record, and under the firehose batches form anyway while earlier requests are in flight
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "pgbridge-" + instanceId);
    p.putAll(config.kafkaClientProperties());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    Object inFlight = p.get(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION);
    if (inFlight != null && Integer.parseInt(inFlight.toString()) > 5) {
      log.warn("kafka.max.in.flight.requests.per.connection={} lowered to 5: idempotence keeps"
          + " order per key only up to 5", inFlight);
      p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    }
    return p;
  }

  private void workLoop() {
    long pollNanos = TimeUnit.MILLISECONDS.toNanos(200);
    while (workersRunning) {
      try {
        if (!state.leader()) {
          Thread.sleep(50);
          continue;
        }
        List<DueSession> batch = coalescer.awaitDue(config.fetchBatchSize(), pollNanos);
        if (batch.isEmpty()) {
          continue;
        }
        metrics.fetchBatch(batch.size());
        List<UUID> ids = new ArrayList<>(batch.size());
        Long[] known = new Long[batch.size()];
        for (DueSession s : batch) {
          known[ids.size()] = publisher.knownVersion(s);
          ids.add(s.id());
        }
        Map<UUID, SessionRow> rows;
        long started = ticker.nanos();
        try {
          rows = fetcher.fetch(ids, known);
          metrics.fetchDuration().record(ticker.nanos() - started, TimeUnit.NANOSECONDS);
          state.fetchFailing(false);
          warn.reset("fetch");
        } catch (SQLException e) {
          // retried either way (a revoked grant can be given back), but not ready meanwhile,
          // and an error retrying alone cannot fix says so
          boolean retriable = SqlErrors.isTransient(e);
          metrics.error("fetch");
          state.fetchFailing(true);
          state.lastError("fetch" + (retriable ? "" : " (not transient)") + ": "
              + SqlErrors.describe(e));
          warn.warn("fetch", "state query failed{}, will retry: {}",
              retriable ? "" : " with an error that retrying will not fix",
              SqlErrors.describe(e));
          for (DueSession s : batch) {
            coalescer.complete(s.id(), false);
          }
          continue;
        }
        if (!state.leader()) {
          // the lock was lost during the fetch: hand nothing more to the producer
          for (DueSession s : batch) {
            coalescer.complete(s.id(), Completion.FAILED);
          }
          continue;
        }
        publisher.publish(batch, rows, started);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        metrics.error("worker");
        log.error("worker failed unexpectedly", e);
        fail(e);
        return;
      }
    }
  }

  /** Reports the end of each session's flight to the coalescer. */
  private final class Outcome implements PublishOutcome {
    @Override
    public void done(DueSession session) {
      coalescer.complete(session.id(), Completion.PUBLISHED);
    }

    @Override
    public void refreshed(DueSession session) {
      coalescer.complete(session.id(), Completion.REFRESHED);
    }

    @Override
    public void unchanged(DueSession session) {
      coalescer.complete(session.id(), Completion.UNCHANGED);
    }

    @Override
    public void retry(DueSession session, Exception cause) {
      warn.warn("publish", "publishing failed, will retry: {}", cause.toString());
      coalescer.complete(session.id(), Completion.FAILED);
    }

    @Override
    public void fatal(DueSession session, Exception cause) {
      log.error(cause.getMessage());
      fail(cause);
    }
  }

  /** Stops the bridge because of {@code cause}; {@link #failure()} reports it. */
  public void fail(Exception cause) {
    if (failure.compareAndSet(null, cause)) {
      state.lastError(cause.toString(), cause);
      Thread stopper = new Thread(() -> shutdown(false), "pgbridge-stop-" + instanceId);
      stopper.setDaemon(true);
      stopper.start();
    }
  }

  /** Graceful stop: see the class comment. Safe to call more than once. */
  public void stop() {
    shutdown(true);
  }

  @Override
  public void close() {
    stop();
  }

  private synchronized void shutdown(boolean graceful) {
    if (stopping) {
      return;
    }
    stopping = true;
    long deadline = ticker.nanos() + TimeUnit.MILLISECONDS.toNanos(config.shutdownTimeoutMs());
    boolean wasLeader = state.leader();
    try {
      // Everything is published while this instance still holds the leader lock, and the
      // producer is closed before the source connection (and with it the lease) goes: a
      // standby takes over only once this instance can no longer deliver anything.
      if (graceful && wasLeader && runner != null) {
        state.role(Role.STOPPING);
        coalescer.flush();
        checkpointer.checkpointNow(Math.max(0, remaining(deadline)));
        // what is notified from now on is not covered by the checkpoint just stored (nor by
        // an older one): the next leader's catch-up publishes it
        runner.drain();
        coalescer.flush();
        while (coalescer.pendingCount() > 0 && remaining(deadline) > 0) {
          Thread.sleep(10);
        }
        if (coalescer.pendingCount() > 0) {
          log.warn("shutdown timeout: {} session(s) not published; the next start's catch-up"
              + " publishes them", coalescer.pendingCount());
        }
      }
      if (republisher != null) {
        republisher.stop();
        republisher.join(2_000);
      }
      if (heartbeater != null) {
        heartbeater.stop();
        heartbeater.join(2_000);
      }
      workersRunning = false;
      coalescer.wakeUp();
      if (checkpointer != null) {
        checkpointer.stop();
      }
      for (Thread t : workers) {
        t.join(2_000);
      }
      if (producer != null) {
        producer.close(Duration.ofMillis(graceful ? Math.max(0, remaining(deadline) / 1_000_000)
            : 0));
      }
      if (producerMetrics != null) {
        producerMetrics.close();
      }
      if (runner != null) {
        runner.stop();
        runner.join(5_000);
      }
      if (endOffsets != null) {
        endOffsets.close();
      }
      if (pool != null) {
        pool.close();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      state.role(failure.get() != null ? Role.FAILED : Role.STOPPED);
      log.info("pgbridge instance {} stopped{}", instanceId,
          failure.get() == null ? "" : " after a failure: " + failure.get());
      terminated.countDown();
    }
  }

  private long remaining(long deadline) {
    return deadline - ticker.nanos();
  }

  /** True once {@link #stop()} was called or a failure stopped the bridge. */
  public boolean stopRequested() {
    return stopping;
  }

  /** Blocks until the bridge has stopped (after {@link #stop()} or a failure). */
  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return terminated.await(timeout, unit);
  }

  /** The error that stopped the bridge, if any. */
  public Exception failure() {
    return failure.get();
  }

  public BridgeState state() {
    return state;
  }

  public BridgeMetrics metrics() {
    return metrics;
  }

  public String instanceId() {
    return instanceId;
  }

  /** Dirty plus in-flight sessions. */
  public int pendingSessions() {
    return coalescer.pendingCount();
  }

  private Map<String, Object> heartbeatStatus() {
    Map<String, Object> h = new LinkedHashMap<>();
    h.put("topic", config.heartbeatIntervalMs() > 0 ? config.heartbeatTopic() : null);
    h.put("intervalMs", config.heartbeatIntervalMs());
    Heartbeater.Sent sent = heartbeater == null ? null : heartbeater.lastSent();
    h.put("lastSent", sent == null ? null : sent.time().toString());
    h.put("publishedUpTo", sent == null || sent.publishedUpTo() == null ? null
        : sent.publishedUpTo().toString());
    return h;
  }

  /** The position the WAL source last confirmed to its slot; null before it is known. */
  private String confirmedLsn() {
    return source instanceof WalSource wal ? wal.confirmedLsn() : null;
  }

  private double checkpointAgeSeconds() {
    return (ticker.nanos() - state.lastCheckpointNanos()) / 1e9;
  }

  @Override
  public boolean alive() {
    Role role = state.role();
    return role != Role.FAILED && (stopping || runner == null || runner.isAlive());
  }

  @Override
  public boolean ready() {
    Role role = state.role();
    if (role == Role.STANDBY) {
      return state.connected();
    }
    return role == Role.LEADER && state.connected() && !state.fetchFailing()
        && (publisher == null || (!publisher.stalled(STALL_NANOS) && publisher.producing()));
  }

  @Override
  public Map<String, Object> status() {
    Map<String, Object> s = new LinkedHashMap<>();
    Role role = state.role();
    String connectState = ConnectState.of(role).name();
    BridgeState.ErrorReport error = state.lastErrorReport();
    String trace = role == Role.FAILED && error != null ? error.trace() : null;
    // Kafka Connect's status fields first (name, type, state, worker_id, trace; connector and
    // tasks as in GET /connectors/NAME/status), then pgbridge's own
    s.put("name", config.bridgeId());
    s.put("type", "source");
    s.put("state", connectState);
    s.put("worker_id", instanceId);
    if (trace != null) {
      s.put("trace", trace);
    }
    s.put("connector", Map.of("state", connectState, "worker_id", instanceId));
    Map<String, Object> task = new LinkedHashMap<>();
    task.put("id", 0);
    task.put("state", connectState);
    task.put("worker_id", instanceId);
    if (trace != null) {
      task.put("trace", trace);
    }
    s.put("tasks", List.of(task));
    s.put("bridgeId", config.bridgeId());
    s.put("instance", instanceId);
    s.put("role", role.name().toLowerCase(java.util.Locale.ROOT));
    s.put("ready", ready());
    Map<String, Object> listen = new LinkedHashMap<>();
    listen.put("channel", config.channel());
    listen.put("connected", state.connected());
    listen.put("generation", state.generation());
    listen.put("caughtUp", state.caughtUp());
    listen.put("settlePending", state.settlePending());
    listen.put("notificationQueueUsage",
        source instanceof NotifySource n ? n.queueUsage() : 0.0);
    s.put("listener", listen);
    Map<String, Object> src = new LinkedHashMap<>();
    ChangeSource current = source;
    src.put("mode", current == null ? config.sourceMode().value() : current.name());
    if (current != null) {
      src.putAll(current.status());
    }
    s.put("source", src);
    Map<String, Object> cp = new LinkedHashMap<>();
    cp.put("snapshot", state.checkpoint());
    cp.put("ageSeconds", Math.round(checkpointAgeSeconds() * 10) / 10.0);
    s.put("checkpoint", cp);
    s.put("dirtySessions", coalescer.dirtyCount());
    s.put("inFlightSessions", coalescer.inFlightCount());
    s.put("outstandingRecords", publisher == null ? 0 : publisher.outstanding());
    s.put("heartbeat", heartbeatStatus());
    s.put("republish", republisher == null ? null : republisher.status());
    s.put("topic", config.topic());
    s.put("lastError", error == null ? null : error.message());
    s.put("lastErrorAt", error == null ? null : error.at().toString());
    s.put("version", Versions.pgbridge());
    s.put("kafkaClientVersion", Versions.kafkaClient());
    return s;
  }
}
