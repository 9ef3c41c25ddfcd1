package io.pgbridge;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the bridge's threads tell each other and the admin endpoints: role, source
 * connection, the current source generation (one per change source connection) and whether its
 * catch-up has finished, and the last error (stamped by the given clock). All fields are
 * atomics; thread-safe.
 */
public final class BridgeState {

  /** Lifecycle and leadership of this instance. */
  public enum Role { STARTING, STANDBY, LEADER, STOPPING, STOPPED, FAILED }

  private final AtomicReference<Role> role = new AtomicReference<>(Role.STARTING);
  private volatile boolean connected;
  private final AtomicLong generation = new AtomicLong();
  private volatile long catchUpDoneGeneration = -1;
  private final AtomicReference<ErrorReport> lastError = new AtomicReference<>();
  private final Clock clock;
  private volatile long lastCheckpointNanos;
  private volatile String checkpoint;
  private volatile boolean settlePending;
  private volatile boolean fetchFailing;

  /**
   * The last error: its message, the stack trace when an exception stopped the bridge (null
   * otherwise), and when it happened.
   */
  public record ErrorReport(String message, String trace, Instant at) {}

  public BridgeState() {
    this(Clock.systemUTC());
  }

  /** {@code clock} stamps the errors. */
  public BridgeState(Clock clock) {
    this.clock = clock;
  }

  public Role role() {
    return role.get();
  }

  public void role(Role r) {
    role.getAndUpdate(current -> {
      if (current == Role.FAILED) {
        return current;
      }
      boolean ending = current == Role.STOPPED || current == Role.STOPPING;
      return ending && r != Role.FAILED && r != Role.STOPPED ? current : r;
    });
  }

  public boolean leader() {
    return role.get() == Role.LEADER || role.get() == Role.STOPPING;
  }

  public boolean connected() {
    return connected;
  }

  public void connected(boolean value) {
    connected = value;
  }

  /** Starts a new source generation (a new streaming connection); returns its number. */
  public long newGeneration() {
    return generation.incrementAndGet();
  }

  public long generation() {
    return generation.get();
  }

  public void catchUpDone(long gen) {
    catchUpDoneGeneration = gen;
  }

  /** True when the current generation's catch-up has marked everything it owes. */
  public boolean caughtUp() {
    return connected && catchUpDoneGeneration == generation.get();
  }

  public String lastError() {
    ErrorReport report = lastError.get();
    return report == null ? null : report.message();
  }

  public void lastError(String error) {
    lastError.set(new ErrorReport(error, null, clock.instant()));
  }

  /** An error with the exception that caused it, whose stack trace {@code /status} shows. */
  public void lastError(String error, Throwable cause) {
    StringWriter trace = new StringWriter();
    try (PrintWriter w = new PrintWriter(trace)) {
      cause.printStackTrace(w);
    }
    lastError.set(new ErrorReport(error, trace.toString(), clock.instant()));
  }

  /** The last error with its trace and time; null if none yet. */
  public ErrorReport lastErrorReport() {
    return lastError.get();
  }

  public void checkpointStored(String snapshot, long nanos) {
    checkpoint = snapshot;
    lastCheckpointNanos = nanos;
  }

  public String checkpoint() {
    return checkpoint;
  }

  public long lastCheckpointNanos() {
    return lastCheckpointNanos;
  }

  /** True from a leadership acquisition until its settle pass has marked everything. */
  public boolean settlePending() {
    return settlePending;
  }

  public void settlePending(boolean pending) {
    settlePending = pending;
  }

  /** True from a failed state query until the next one succeeds. */
  public boolean fetchFailing() {
    return fetchFailing;
  }

  public void fetchFailing(boolean failing) {
    fetchFailing = failing;
  }
}
