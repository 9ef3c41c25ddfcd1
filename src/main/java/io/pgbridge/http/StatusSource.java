package io.pgbridge.http;

import java.util.Map;

/** What the admin endpoints report; implemented by the bridge, called from HTTP threads. */
public interface StatusSource {

  /** False once the process is wedged and should be restarted (liveness). */
  boolean alive();

  /**
   * True when this instance is doing its job: a leader that is listening and can publish,
   * or a healthy standby waiting for the lock (so a rolling update can proceed).
   */
  boolean ready();

  /** A JSON-serialisable snapshot: role, listener state, checkpoint, backlog, last error. */
  Map<String, Object> status();
}
