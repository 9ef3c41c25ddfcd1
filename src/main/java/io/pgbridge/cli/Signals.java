package io.pgbridge.cli;

import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns SIGTERM and SIGINT into a graceful stop. A shutdown hook runs {@code stop} and then
 * waits for the main thread to finish its work (the returned latch), so the JVM does not exit
 * before in-flight records are published; the main thread then exits with its own code.
 */
final class Signals {

  private static final Logger log = LoggerFactory.getLogger(Signals.class);

  private Signals() {}

  static CountDownLatch onTerminate(Runnable stop) {
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("termination signal: publishing what is in flight, then stopping");
      stop.run();
      try {
        done.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "pgbridge-shutdown"));
    return done;
  }
}
