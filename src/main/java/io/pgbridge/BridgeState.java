package io.pgbridge;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the bridge's threads tell each other and the admin endpoints: role, listener
 * connection, the current listener generation (one per LISTEN connection) and whether its
 * catch-up has finished, and the last error. All fields are atomics; thread-safe.
 */
public final class BridgeState {

  /** Lifecycle and leadership of this instance. */
  public enum Role { STARTING, STANDBY, LEADER, STOPPING, STOPPED, FAILED }

  private final AtomicReference<Role> role = new AtomicReference<>(Role.STARTING);
  private volatile boolean connected;
  private final AtomicLong generation = new AtomicLong();
  private volatile long catchUpDoneGeneration = -1;
  private final AtomicReference<String> lastError = new AtomicReference<>();
  private volatile long lastCheckpointNanos;
  private volatile String checkpoint;
  private volatile double queueUsage;
  private volatile boolean settlePending;
  private volatile boolean fetchFailing;

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

  /** Starts a new listener generation (a new LISTEN connection); returns its number. */
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
    return lastError.get();
  }

  public void lastError(String error) {
    lastError.set(error);
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

  public double queueUsage() {
    return queueUsage;
  }

  public void queueUsage(double usage) {
    queueUsage = usage;
  }
}
