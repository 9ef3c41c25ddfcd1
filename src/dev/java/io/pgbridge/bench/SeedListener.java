package io.pgbridge.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * A faithful Java port of the seed design's {@code PostgreSQLListener}
 * ({@code seed/000_86bdacee07299517.txt}, "Step 2"), used as a benchmark peer. Same behaviour,
 * same constants:
 * <ul>
 *   <li>one LISTEN connection on {@code generation_updates};</li>
 *   <li>each notification is parsed as JSON and must carry {@code session_id} and
 *       {@code project_id}; the key is {@code project_id + "-" + session_id};</li>
 *   <li>a per-key 100 ms timer, cancelled and restarted by every notification for that key;</li>
 *   <li>when it fires, a 5 s per-key cache: if the key was fetched less than 5 s ago the fetch is
 *       <b>skipped</b> (the change is dropped, nothing reschedules it);</li>
 *   <li>otherwise one {@code SELECT * FROM generation_sessions WHERE id = ? LIMIT 1} per session,
 *       then the "broadcast" (here: a Kafka record keyed by session id, value in pgbridge's
 *       envelope so the same final-state check applies), then the cache entry is set to the
 *       time taken before the fetch;</li>
 *   <li>no catch-up, no checkpoint, reconnect after 5 s (not exercised here).</li>
 * </ul>
 * Node's single event loop is modelled by one timer thread ({@code seed-timer}); the fetches
 * run on a 10-thread executor over a 10-connection pool (node-postgres' default {@code max}).
 * Start with {@link #start()}, stop with {@link #close()}.
 */
final class SeedListener implements AutoCloseable {

  /**
   * The seed's trigger SQL ("Step 1"), with one fix: the seed reads {@code NEW.session_id} and
   * {@code NEW.project_id} on every table, but {@code generation_sessions} has no
   * {@code session_id} and the child tables have no {@code project_id}; PL/pgSQL raises
   * "record "new" has no field ..." and the writer's statement fails. The function branches on
   * the table instead; the rest is the seed's (a project_id subquery per child row, a
   * timestamp in the payload, AFTER INSERT OR UPDATE only, so the NEW-on-DELETE crash never
   * arises). Installed next to pgbridge's version trigger, which only keeps state_version for
   * the comparison.
   */
  static final String TRIGGER_SQL = """
      CREATE OR REPLACE FUNCTION notify_generation_update()
      RETURNS TRIGGER AS $$
      DECLARE
        payload JSON;
        sid uuid;
        pid uuid;
      BEGIN
        IF TG_TABLE_NAME = 'generation_sessions' THEN
          sid := NEW.id;
          pid := NEW.project_id;
        ELSE
          sid := NEW.session_id;
          pid := (SELECT project_id FROM generation_sessions WHERE id = NEW.session_id LIMIT 1);
        END IF;
        payload = json_build_object(
          'table', TG_TABLE_NAME,
          'action', TG_OP,
          'session_id', sid,
          'project_id', pid,
          'timestamp', EXTRACT(EPOCH FROM NOW())
        );
        PERFORM pg_notify('generation_updates', payload::text);
        RETURN NEW;
      END;
      $$ LANGUAGE plpgsql;
      CREATE TRIGGER generation_sessions_notify AFTER INSERT OR UPDATE ON generation_sessions
        FOR EACH ROW EXECUTE FUNCTION notify_generation_update();
      CREATE TRIGGER generation_todos_notify AFTER INSERT OR UPDATE ON generation_todos
        FOR EACH ROW EXECUTE FUNCTION notify_generation_update();
      CREATE TRIGGER generation_tool_calls_notify AFTER INSERT OR UPDATE ON generation_tool_calls
        FOR EACH ROW EXECUTE FUNCTION notify_generation_update();
      CREATE TRIGGER generation_notes_notify AFTER INSERT OR UPDATE ON generation_notes
        FOR EACH ROW EXECUTE FUNCTION notify_generation_update();
      """;

  private static final long CACHE_TTL_MS = 5000;
  private static final long DEBOUNCE_DELAY_MS = 100;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String url;
  private final String user;
  private final String password;
  private final Producer<byte[], byte[]> producer;
  private final String topic;
  private final ScheduledThreadPoolExecutor timers;
  private final ExecutorService fetchers;
  private final HikariDataSource pool;
  private final Map<String, ScheduledFuture<?>> pending = new ConcurrentHashMap<>();
  private final Map<String, Long> sessionCache = new ConcurrentHashMap<>();
  final AtomicLong notifications = new AtomicLong();
  final AtomicLong skippedCached = new AtomicLong();
  final AtomicLong fetches = new AtomicLong();
  final AtomicLong failures = new AtomicLong();
  private volatile boolean running = true;
  private Thread listener;

  SeedListener(String url, String user, String password, Producer<byte[], byte[]> producer,
      String topic) {
    this.url = url;
    this.user = user;
    this.password = password;
    this.producer = producer;
    this.topic = topic;
    timers = new ScheduledThreadPoolExecutor(1, r -> new Thread(r, "seed-timer"));
    timers.setRemoveOnCancelPolicy(true);
    AtomicInteger n = new AtomicInteger();
    fetchers = Executors.newFixedThreadPool(10, r -> new Thread(r, "seed-fetch-" + n.incrementAndGet()));
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(url);
    hc.setUsername(user);
    hc.setPassword(password);
    hc.setMaximumPoolSize(10);
    hc.setPoolName("seed-pool");
    hc.addDataSourceProperty("ApplicationName", "seed-fetch");
    pool = new HikariDataSource(hc);
  }

  static void install(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(TRIGGER_SQL);
    }
  }

  /** Connects and LISTENs; returns once listening. */
  void start() throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    p.setProperty("ApplicationName", "seed-listener");
    Connection c = DriverManager.getConnection(url, p);
    try (Statement s = c.createStatement()) {
      s.execute("LISTEN generation_updates");
    }
    PGConnection pg = c.unwrap(PGConnection.class);
    listener = new Thread(() -> {
      try (c) {
        while (running) {
          PGNotification[] batch = pg.getNotifications(500);
          if (batch == null) {
            continue;
          }
          for (PGNotification n : batch) {
            if ("generation_updates".equals(n.getName()) && n.getParameter() != null) {
              handleNotification(n.getParameter());
            }
          }
        }
      } catch (SQLException e) {
        if (running) {
          failures.incrementAndGet();
        }
      }
    }, "seed-listener");
    listener.start();
  }

  private void handleNotification(String payload) {
    notifications.incrementAndGet();
    JsonNode data;
    try {
      data = JSON.readTree(payload);
    } catch (Exception e) {
      failures.incrementAndGet();
      return;
    }
    JsonNode sessionId = data.get("session_id");
    JsonNode projectId = data.get("project_id");
    if (sessionId == null || sessionId.isNull() || projectId == null || projectId.isNull()) {
      return;
    }
    String key = projectId.asText() + "-" + sessionId.asText();
    String session = sessionId.asText();
    String project = projectId.asText();
    // Node's event loop runs handlers and timer callbacks one at a time: so does seed-timer
    timers.execute(() -> {
      ScheduledFuture<?> previous = pending.remove(key);
      if (previous != null) {
        previous.cancel(false);
      }
      pending.put(key, timers.schedule(() -> {
        fetchers.execute(() -> fetchAndBroadcast(project, session));
        pending.remove(key);
      }, DEBOUNCE_DELAY_MS, TimeUnit.MILLISECONDS));
    });
  }

  private void fetchAndBroadcast(String projectId, String sessionId) {
    try {
      String cacheKey = projectId + "-" + sessionId;
      Long cached = sessionCache.get(cacheKey);
      long now = System.currentTimeMillis();
      if (cached != null && now - cached < CACHE_TTL_MS) {
        skippedCached.incrementAndGet();
        return;
      }
      fetches.incrementAndGet();
      try (Connection c = pool.getConnection();
          PreparedStatement ps = c.prepareStatement(
              "SELECT * FROM generation_sessions WHERE id = ? LIMIT 1")) {
        ps.setObject(1, UUID.fromString(sessionId));
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next() || rs.getString("raw_state") == null) {
            return;
          }
          String state = rs.getString("raw_state");
          long version = rs.getLong("state_version");
          String updatedAt = rs.getObject("updated_at", java.time.OffsetDateTime.class)
              .toInstant().toString();
          String project = rs.getString("project_id");
          broadcast(sessionId, project, version, updatedAt, state);
        }
      }
      sessionCache.put(cacheKey, now);
    } catch (Exception e) {
      failures.incrementAndGet();
    }
  }

  private void broadcast(String sessionId, String project, long version, String updatedAt,
      String state) {
    byte[] value = Envelope.json(sessionId, project, version, updatedAt, state);
    ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(topic,
        sessionId.getBytes(StandardCharsets.UTF_8), value);
    rec.headers().add("pgbridge.version", Long.toString(version).getBytes(StandardCharsets.UTF_8));
    rec.headers().add("pgbridge.project_id", project.getBytes(StandardCharsets.UTF_8));
    producer.send(rec);
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    if (listener != null) {
      listener.join(5_000);
    }
    timers.shutdownNow();
    fetchers.shutdown();
    fetchers.awaitTermination(5, TimeUnit.SECONDS);
    pool.close();
  }
}
