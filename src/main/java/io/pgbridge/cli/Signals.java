package io.pgbridge.cli;

import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns SIGTERM and SIGINT into a graceful stop that ends with exit code 0. The signals are
 * handled directly ({@code sun.misc.Signal}), not by a shutdown hook: a hook runs inside the
 * JVM's shutdown, after which the process can only end with the signal's status (143), and
 * {@code System.exit} from the main thread would block. The handler only calls {@code stop};
 * the main thread sees the bridge terminate and returns its exit code. Where signal handling
 * is unavailable, a shutdown hook stops the bridge and waits for the main thread to finish.
 */
final class Signals {

  private static final Logger log = LoggerFactory.getLogger(Signals.class);

  private Signals() {}

  /** Installs the handlers; the returned latch must be counted down when the work is done. */
  static CountDownLatch onTerminate(Runnable stop) {
    CountDownLatch done = new CountDownLatch(1);
    Runnable graceful = () -> {
      log.info("termination signal: publishing what is in flight, then stopping");
      Thread t = new Thread(stop, "pgbridge-signal-stop");
      t.setDaemon(true);
      t.start();
    };
    try {
      for (String name : new String[] {"TERM", "INT"}) {
        sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> graceful.run());
      }
    } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
      log.debug("signal handlers unavailable ({}); using a shutdown hook", e.toString());
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        stop.run();
        try {
          done.await();
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
        }
      }, "pgbridge-shutdown"));
    }
    return done;
  }
}
