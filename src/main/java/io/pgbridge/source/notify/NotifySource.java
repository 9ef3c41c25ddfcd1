package io.pgbridge.source.notify;

import io.pgbridge.checkpoint.Checkpointer;
import io.pgbridge.coalesce.SessionCoalescer;
import io.pgbridge.config.Identifiers;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.metrics.WarnOnce;
import io.pgbridge.source.ChangeSource;
import io.pgbridge.source.Recovery;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code source.mode=notify}: a dedicated connection that {@code LISTEN}s on the channel the
 * row triggers notify, and routes each payload (a change, a checkpoint barrier, a change of an
 * unconfigured table, or something malformed that is counted and ignored). NOTIFY is not
 * durable, so every connection asks for the catch-up from the stored checkpoint. Called on the
 * source runner's thread, except {@link #abort()} and {@link #status()}.
 */
public final class NotifySource implements ChangeSource {

  private static final Logger log = LoggerFactory.getLogger(NotifySource.class);

  private final ListenerConnector connector;
  private final String channel;
  private final NotificationParser parser;
  private final SessionCoalescer coalescer;
  private final Checkpointer checkpointer;
  private final BridgeMetrics metrics;
  private final Consumer<String> lastError;
  private final WarnOnce warn = new WarnOnce(log);
  private volatile Connection current;
  private PGConnection listening;
  private volatile boolean draining;
  private volatile double queueUsage;

  /** {@code lastError}: where a problem an operator must fix is reported ({@code /status}). */
  public NotifySource(ListenerConnector connector, String channel, NotificationParser parser,
      SessionCoalescer coalescer, Checkpointer checkpointer, BridgeMetrics metrics,
      Consumer<String> lastError) {
    this.connector = connector;
    this.channel = channel;
    this.parser = parser;
    this.coalescer = coalescer;
    this.checkpointer = checkpointer;
    this.metrics = metrics;
    this.lastError = lastError;
  }

  @Override
  public String name() {
    return "notify";
  }

  @Override
  public Connection connect() throws SQLException {
    Connection c = connector.open();
    current = c;
    listening = null;
    return c;
  }

  @Override
  public Recovery begin(Connection conn) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("LISTEN " + Identifiers.quote(channel));
    }
    listening = conn.unwrap(PGConnection.class);
    log.info("listening on channel {}", channel);
    return Recovery.checkpoint();
  }

  @Override
  public void poll(long timeoutMs) throws SQLException {
    PGNotification[] batch = listening.getNotifications((int) Math.min(Integer.MAX_VALUE,
        Math.max(1, timeoutMs)));
    if (batch != null) {
      for (PGNotification n : batch) {
        handle(n.getParameter());
      }
    }
  }

  /** Parses and routes one payload; never throws for bad input. */
  void handle(String payload) {
    Signal signal = parser.parse(payload);
    if (draining && !(signal instanceof Signal.Barrier)) {
      return;
    }
    if (signal instanceof Signal.Change c) {
      metrics.received(c.tableIndex(), c.op());
      coalescer.mark(c.sessionId(), c.source());
    } else if (signal instanceof Signal.Unrouted u) {
      // a change that may be real (a trigger that names a partition or an unconfigured
      // table): publish its session by id rather than let a checkpoint pass it
      metrics.malformed(NotificationParser.UNKNOWN_TABLE);
      coalescer.mark(u.sessionId(), u.source());
      // one key for every table name: the names come from anyone allowed to NOTIFY
      if (warn.warn("unrouted", "a notification on {} names table '{}', which is not a"
          + " configured table: its session is published by id; run `pgbridge migrate` with"
          + " this configuration so that the triggers name the configured tables",
          channel, u.table())) {
        lastError.accept("notifications name table '" + u.table() + "', which is not"
            + " configured: run `pgbridge migrate`");
      }
    } else if (signal instanceof Signal.Barrier b) {
      checkpointer.barrierArrived(b.id(), coalescer.lastSeq());
    } else if (signal instanceof Signal.Malformed m) {
      metrics.malformed(m.reason());
      warn.warn("malformed:" + m.reason(), "ignored a notification on {} ({}: {}, {} chars)",
          channel, m.reason(), m.detail(), payload == null ? 0 : payload.length());
    }
  }

  /** Reads {@code pg_notification_queue_usage()}, which the queue gauge reports. */
  @Override
  public void probe() throws SQLException {
    try (Statement st = current.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_notification_queue_usage()")) {
      rs.next();
      queueUsage = rs.getDouble(1);
    }
  }

  /** Nothing to do: the next connection catches up from the stored checkpoint again. */
  @Override
  public void recovered(Recovery done) {}

  /**
   * Stops routing changes while the connection (and the lease) stays; barriers still arrive so
   * that a last checkpoint can be stored.
   */
  @Override
  public void drain() {
    draining = true;
  }

  @Override
  public void abort() {
    Connection c = current;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        log.debug("closing listener connection", e);
      }
    }
  }

  /** The last {@code pg_notification_queue_usage()} read, 0 before the first probe. */
  public double queueUsage() {
    return queueUsage;
  }

  @Override
  public Map<String, Object> status() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("channel", channel);
    s.put("notificationQueueUsage", queueUsage);
    return s;
  }
}
