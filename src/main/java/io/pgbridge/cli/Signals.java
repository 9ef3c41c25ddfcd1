package io.pgbridge.cli;

import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into a graceful stop that ends with the main thread's own exit code.
 * The signals are handled directly ({@code sun.misc.Signal}, as Kafka and Elasticsearch do)
 * rather than through a shutdown hook alone: once the JVM runs its shutdown hooks because of a
 * signal, it ends with 128+signal (143 for SIGTERM) whatever the main thread passes to
 * {@code System.exit}, and the documented exit code after SIGTERM is 0. The handler runs
 * {@code stop} on the JVM's signal thread; the main thread, which waits for the bridge to stop,
 * then exits normally. A shutdown hook remains for other ways the JVM may go down (SIGHUP, a
 * platform that refuses the handler): it runs {@code stop} and waits for the main thread to
 * finish its work (the returned latch), so in-flight records are still published.
 */
final class Signals {

  private static final Logger log = LoggerFactory.getLogger(Signals.class);

  private Signals() {}

  static CountDownLatch onTerminate(Runnable stop) {
    CountDownLatch done = new CountDownLatch(1);
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), signal -> {
          log.info("SIG{}: publishing what is in flight, then stopping", signal.getName());
          stop.run();
        });
      } catch (IllegalArgumentException e) {
        log.warn("cannot handle SIG{} ({}); the shutdown hook stops the bridge instead, and the"
            + " exit code after that signal is the JVM's", name, e.getMessage());
      }
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (done.getCount() == 0) {
        return; // the main thread has finished: this is its own System.exit
      }
      log.info("JVM shutting down: publishing what is in flight, then stopping");
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
