package io.pgbridge.cli;

import io.pgbridge.Bridge;
import io.pgbridge.config.BridgeConfig;
import io.pgbridge.time.Backoff;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The start of {@code pgbridge run}: runs {@link Preflight} until it passes, retrying with the
 * listener's capped backoff while every problem is transient (PostgreSQL or Kafka down or
 * starting, a host name that does not resolve yet), so that a database failover or restart
 * does not turn into a crash loop. Meanwhile the admin endpoints are up: {@code /healthz} says
 * alive, {@code /readyz} not ready, and {@code /status} carries the reason as its last error.
 * A problem that waiting cannot fix (credentials, a missing database, schema or topic, an
 * unsupported server) ends the wait at once. Runs on the main thread; a stop of the bridge
 * (SIGTERM) ends the wait between attempts.
 */
final class StartupWait {

  /** How the wait ended. */
  enum Outcome { READY, FATAL, STOPPED }

  private static final Logger log = LoggerFactory.getLogger(StartupWait.class);

  private final BridgeConfig config;
  private final Bridge bridge;
  /** Prints a start-up finding: prefix ("warning: ", "problem: ") and message. */
  private final BiConsumer<String, String> report;
  private final Backoff backoff;

  StartupWait(BridgeConfig config, Bridge bridge, BiConsumer<String, String> report) {
    this.config = config;
    this.bridge = bridge;
    this.report = report;
    this.backoff = new Backoff(config.reconnectBackoffMs(), config.reconnectBackoffMaxMs(),
        ThreadLocalRandom.current()::nextDouble);
  }

  Outcome await() throws InterruptedException {
    String lastReason = null;
    for (int attempt = 1; ; attempt++) {
      if (bridge.stopRequested()) {
        return Outcome.STOPPED;
      }
      List<String> warnings = new ArrayList<>();
      Preflight.Report report = Preflight.check(config, warnings);
      if (report.ok()) {
        warnings.forEach(w -> this.report.accept("warning: ", w));
        if (attempt > 1) {
          log.info("start-up checks passed after {} attempts", attempt);
        }
        return Outcome.READY;
      }
      if (!report.transientOnly()) {
        warnings.forEach(w -> this.report.accept("warning: ", w));
        report.problems().forEach(p -> this.report.accept("problem: ", p));
        return Outcome.FATAL;
      }
      String reason = String.join("; ", report.problems());
      long delay = backoff.delayMillis(attempt);
      bridge.state().lastError("waiting to start: " + reason);
      if (!reason.equals(lastReason)) {
        log.warn("cannot start yet, retrying (every {} ms at most): {}",
            config.reconnectBackoffMaxMs(), reason);
        lastReason = reason;
      } else {
        log.debug("start-up attempt {} failed, next in {} ms: {}", attempt, delay, reason);
      }
      long end = System.nanoTime() + delay * 1_000_000L;
      while (System.nanoTime() - end < 0 && !bridge.stopRequested()) {
        Thread.sleep(Math.min(50, Math.max(1, (end - System.nanoTime()) / 1_000_000L)));
      }
    }
  }
}
