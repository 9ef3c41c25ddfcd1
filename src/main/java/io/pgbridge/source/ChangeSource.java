package io.pgbridge.source;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;

/**
 * Where changes come from: turns the server's stream into marks on the coalescer and
 * checkpoint barriers, and nothing else. The {@link SourceRunner} owns the thread, the leader
 * lease, reconnects and recovery; a source owns its connection's protocol. All methods but
 * {@link #abort()} and {@link #status()} are called on the runner thread.
 */
public interface ChangeSource {

  /** {@code notify} or {@code wal}: the tag for logs, metrics and {@code /status}. */
  String name();

  /** Opens this source's server connection, not yet streaming; the lease is taken on it. */
  Connection connect() throws SQLException;

  /**
   * Starts the stream on {@code conn} once the lease is held, and says what has to be replayed
   * before the stream alone is complete.
   */
  Recovery begin(Connection conn) throws SQLException;

  /** Waits at most {@code timeoutMs} for the stream and routes what arrived. */
  void poll(long timeoutMs) throws SQLException, InterruptedException;

  /** Every few seconds: health checks and the reads behind the source's metrics. */
  void probe() throws SQLException;

  /**
   * The recovery {@link #begin} asked for has been walked, and Kafka has acknowledged every
   * session it marked.
   */
  void recovered(Recovery done) throws SQLException;

  /** Shutdown: stops routing changes (barriers still arrive) and keeps the connection. */
  void drain();

  /** From any thread: ends the current connection so that {@link #poll} returns or throws. */
  void abort();

  /** The source's own {@code /status} fields. */
  Map<String, Object> status();
}
