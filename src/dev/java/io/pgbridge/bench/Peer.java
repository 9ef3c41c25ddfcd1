package io.pgbridge.bench;

/**
 * One system under comparison: reads the benchmark database's changes and produces keyed
 * records (value: pgbridge's envelope; header {@code pgbridge.version}) to the benchmark topic.
 * {@link #start()} returns once it is ready to see changes; {@link #close()} stops it. Every
 * thread a peer starts must not be named {@code bench-*}: CPU is attributed by thread.
 */
interface Peer extends AutoCloseable {

  String name();

  /** Prepares the peer's database (triggers etc.) before the sessions are inserted. */
  void prepare(BenchInfra infra, String database, String topic) throws Exception;

  void start() throws Exception;

  /** Notifications (or change events) received so far; -1 when the peer has none. */
  long notifications();

  /** Called when the measured window opens (after the warm-up). */
  default void windowOpened() {}

  /** Called when the writers stop, which closes the measured window. */
  default void windowClosed() {}

  /**
   * The peer's own measure of notification receipt to Kafka acknowledgement over the window,
   * p50, p95 and p99 in ms; null when the peer has no such measure.
   */
  default double[] ownAckLagMs() {
    return null;
  }

  /** What the peer's counters say, for the report's notes. */
  default String notes() {
    return "";
  }

  @Override
  void close() throws Exception;
}
