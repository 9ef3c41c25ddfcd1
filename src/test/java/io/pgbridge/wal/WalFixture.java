package io.pgbridge.wal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgbridge.BridgeState;
import io.pgbridge.checkpoint.CheckpointStore;
import io.pgbridge.coalesce.ChangeSources;
import io.pgbridge.coalesce.Completion;
import io.pgbridge.coalesce.DebounceMode;
import io.pgbridge.coalesce.DueSession;
import io.pgbridge.coalesce.SessionCoalescer;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.migrate.Migrator;
import io.pgbridge.source.Recovery;
import io.pgbridge.source.wal.SlotNames;
import io.pgbridge.source.wal.WalMetrics;
import io.pgbridge.source.wal.WalSource;
import io.pgbridge.testing.TestInfra;
import io.pgbridge.time.Backoff;
import io.pgbridge.time.Ticker;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.postgresql.replication.LogSequenceNumber;

/**
 * A migrated database with the WAL mode's objects that {@code pgbridge migrate} does not create
 * yet (the checkpoint row's slot columns, child replica identities, the publication), and a
 * {@link WalSource} on it with a real coalescer, driven by the test thread: {@link #pollUntil}
 * plays the source runner, {@link #publishAll} plays the workers and Kafka's acknowledgement.
 */
final class WalFixture implements AutoCloseable {

  static final List<String> TABLES = List.of("generation_sessions", "generation_todos",
      "generation_tool_calls", "generation_notes");
  static final String PUBLICATION = "pgbridge";

  final TestInfra.Postgres server;
  final String url;
  final String bridgeId;
  final HikariDataSource pool;
  final ChangeSources sources = new ChangeSources(TABLES);
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final BridgeMetrics bridgeMetrics;
  final WalMetrics metrics;
  final SessionCoalescer coalescer = new SessionCoalescer(Ticker.SYSTEM, DebounceMode.LEADING,
      0, 0, new Backoff(10, 100, () -> 0.5));
  final CheckpointStore store;
  final BridgeState state = new BridgeState();
  final List<String> barriers = new CopyOnWriteArrayList<>();
  final Map<String, Long> barrierSeqs = new HashMap<>();
  final WalSource source;
  Connection replication;

  /** The sources seen per session by {@link #publishAll} (what the publisher would be told). */
  final Map<UUID, Long> published = new HashMap<>();

  WalFixture(TestInfra.Postgres server, String database, long statusIntervalMs,
      boolean catchupInitialAll) throws SQLException {
    this(server, database, statusIntervalMs, catchupInitialAll, null);
  }

  /**
   * {@code applicationSchema}: the four tables as an application has them (then the bridge's
   * objects alone are migrated, and its replica identities must already carry session_id), or
   * null for the reference schema.
   */
  WalFixture(TestInfra.Postgres server, String database, long statusIntervalMs,
      boolean catchupInitialAll, String applicationSchema) throws SQLException {
    this(server, database, statusIntervalMs, catchupInitialAll, applicationSchema, false);
  }

  /** {@code failover}: wal.slot.failover. */
  WalFixture(TestInfra.Postgres server, String database, long statusIntervalMs,
      boolean catchupInitialAll, String applicationSchema, boolean failover)
      throws SQLException {
    this.server = server;
    this.url = TestInfra.createDatabase(server, database);
    this.bridgeId = "it-" + database;
    try (Connection c = connect()) {
      Migrator migrator = new Migrator("public", "generation_sessions", "generation_updates");
      try (Statement st = c.createStatement()) {
        if (applicationSchema == null) {
          migrator.migrate(c, false);
          st.execute(CHILD_REPLICA_IDENTITY);
        } else {
          st.execute(applicationSchema);
          migrator.migrate(c, true);
        }
        st.execute(SLOT_COLUMNS);
        // column lists from PostgreSQL 15 on; 14 publishes whole rows
        st.execute(major(c) >= 15 ? PUBLICATION_SQL
            : PUBLICATION_SQL.replaceAll(" \\([a-z_, ]+\\)", ""));
      }
    }
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername(server.user());
    config.setPassword(server.password());
    config.setMaximumPoolSize(3);
    config.setPoolName("wal-it-" + database);
    this.pool = new HikariDataSource(config);
    this.bridgeMetrics = new BridgeMetrics(registry, bridgeId, sources);
    this.metrics = new WalMetrics(bridgeMetrics, sources);
    this.store = new CheckpointStore(pool, "public", "generation_sessions", bridgeId, false,
        "generation_updates");
    WalSource.Settings settings = new WalSource.Settings(url, server.user(), server.password(),
        SlotNames.derive(bridgeId), "public", "generation_sessions", bridgeId,
        SlotNames.derive(bridgeId), PUBLICATION, statusIntervalMs, failover, catchupInitialAll,
        50);
    this.source = new WalSource(settings, pool, coalescer, (id, seq) -> {
      synchronized (barrierSeqs) {
        barrierSeqs.put(id, seq);
      }
      barriers.add(id);
    }, store, sources, metrics, state, Ticker.SYSTEM, Clock.systemUTC());
  }

  /**
   * What `pgbridge migrate --source-mode wal` will create (until it does): the slot columns of
   * the bridge row, child replica identities that carry session_id, and the publication.
   */
  private static final String SLOT_COLUMNS = """
      ALTER TABLE pgbridge_checkpoint ADD COLUMN IF NOT EXISTS wal_slot text,
        ADD COLUMN IF NOT EXISTS wal_catchup_from text;
      CREATE TABLE unrelated (id bigserial PRIMARY KEY, payload text);
      """;

  private static final String PUBLICATION_SQL = """
      CREATE PUBLICATION pgbridge FOR TABLE generation_sessions (id, state_version),
        generation_todos (id, session_id), generation_tool_calls (id, session_id),
        generation_notes (id, session_id)
        WITH (publish = 'insert, update, delete, truncate', publish_via_partition_root = true)
      """;

  static int major(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SHOW server_version_num")) {
      rs.next();
      return Integer.parseInt(rs.getString(1)) / 10_000;
    }
  }

  private static final String CHILD_REPLICA_IDENTITY = """
      CREATE UNIQUE INDEX IF NOT EXISTS generation_todos_ri ON generation_todos (session_id, id);
      ALTER TABLE generation_todos REPLICA IDENTITY USING INDEX generation_todos_ri;
      CREATE UNIQUE INDEX IF NOT EXISTS generation_tool_calls_ri
        ON generation_tool_calls (session_id, id);
      ALTER TABLE generation_tool_calls REPLICA IDENTITY USING INDEX generation_tool_calls_ri;
      CREATE UNIQUE INDEX IF NOT EXISTS generation_notes_ri ON generation_notes (session_id, id);
      ALTER TABLE generation_notes REPLICA IDENTITY USING INDEX generation_notes_ri;
      """;

  Connection connect() throws SQLException {
    return DriverManager.getConnection(url, server.user(), server.password());
  }

  /** Connects and begins, as the runner does after taking the lease. */
  Recovery begin() throws SQLException {
    closeReplication();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      replication = source.connect();
      try {
        return source.begin(replication);
      } catch (SQLException e) {
        closeReplication();
        // the previous connection's walsender may not have exited yet: the runner retries
        if (!"55P03".equals(e.getSQLState()) || System.nanoTime() - deadline > 0) {
          throw e;
        }
      }
    }
  }

  /** Polls until {@code done} holds; fails after {@code timeout}. */
  void pollUntil(String what, Duration timeout, BooleanSupplier done) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for " + what);
      }
      source.poll(20);
    }
  }

  /** Polls for {@code duration}, whatever happens. */
  void pollFor(Duration duration) throws Exception {
    long end = System.nanoTime() + duration.toNanos();
    while (System.nanoTime() - end < 0) {
      source.poll(20);
    }
  }

  /** Takes every due session and completes it as published, recording its sources. */
  List<DueSession> publishAll() {
    List<DueSession> due = new ArrayList<>(coalescer.pollDue(10_000));
    for (DueSession d : due) {
      published.merge(d.id(), d.sources(), (a, b) -> a | b);
      coalescer.complete(d.id(), Completion.PUBLISHED);
    }
    return due;
  }

  /** Takes every due session without completing it (in flight, not acknowledged). */
  List<DueSession> takeAll() {
    return coalescer.pollDue(10_000);
  }

  /** Polls until {@code id} was taken by {@link #publishAll} with {@code bits} among its sources. */
  void awaitPublished(UUID id, long bits) throws Exception {
    pollUntil(id + " published with " + sources.describe(bits), Duration.ofSeconds(20), () -> {
      publishAll();
      Long seen = published.get(id);
      return seen != null && (seen & bits) == bits;
    });
  }

  /** Polls until {@code id} was taken by {@link #publishAll} with any of {@code mask}. */
  void awaitAny(UUID id, long mask) throws Exception {
    pollUntil(id + " published with any of " + sources.describe(mask), Duration.ofSeconds(20),
        () -> {
          publishAll();
          Long seen = published.get(id);
          return seen != null && (seen & mask) != 0;
        });
  }

  void sql(String... statements) throws SQLException {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      for (String s : statements) {
        st.execute(s);
      }
    }
  }

  /** The slot's confirmed_flush_lsn, or null when the slot does not exist. */
  Long confirmedFlush() throws SQLException {
    try (Connection c = connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT confirmed_flush_lsn::text FROM"
            + " pg_replication_slots WHERE slot_name = '" + source.slotName() + "'")) {
      return rs.next() ? LogSequenceNumber.valueOf(rs.getString(1)).asLong() : null;
    }
  }

  long currentWalLsn() throws SQLException {
    try (Connection c = connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()::text")) {
      rs.next();
      return LogSequenceNumber.valueOf(rs.getString(1)).asLong();
    }
  }

  String recordedCatchup() throws SQLException {
    try (Connection c = connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT wal_catchup_from FROM pgbridge_checkpoint"
            + " WHERE bridge_id = '" + bridgeId + "'")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  /** Ends the walsender of the slot (if active) and drops the slot. */
  void dropSlot() throws SQLException {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      for (int i = 0; i < 100; i++) {
        try (ResultSet rs = st.executeQuery("SELECT active_pid FROM pg_replication_slots"
            + " WHERE slot_name = '" + source.slotName() + "'")) {
          if (!rs.next()) {
            return;
          }
          int pid = rs.getInt(1);
          if (rs.wasNull()) {
            st.execute("SELECT pg_drop_replication_slot('" + source.slotName() + "')");
            return;
          }
          st.execute("SELECT pg_terminate_backend(" + pid + ")");
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
      throw new IllegalStateException("slot " + source.slotName() + " stayed active");
    }
  }

  void closeReplication() {
    if (replication != null) {
      try {
        replication.close();
      } catch (SQLException e) {
        // the connection was already broken: that is what the test did
      }
      replication = null;
    }
  }

  @Override
  public void close() throws SQLException {
    source.abort();
    closeReplication();
    try {
      dropSlot();
    } finally {
      pool.close();
    }
  }
}
