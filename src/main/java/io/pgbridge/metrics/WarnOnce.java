package io.pgbridge.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;

/**
 * Logs a repeating problem at WARN the first time for each key, then at DEBUG, so that a
 * flood of bad input or a long outage does not flood the log. {@link #reset} re-arms a key once
 * the problem has cleared. Thread-safe.
 */
public final class WarnOnce {

  private final Logger log;
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  public WarnOnce(Logger log) {
    this.log = log;
  }

  /** Logs at WARN the first time for {@code key}, else at DEBUG; true when it was the first. */
  public boolean warn(String key, String format, Object... args) {
    if (warned.add(key)) {
      log.warn(format + " (repeats are logged at DEBUG)", args);
      return true;
    }
    if (log.isDebugEnabled()) {
      log.debug(format, args);
    }
    return false;
  }

  public void reset(String key) {
    warned.remove(key);
  }
}
