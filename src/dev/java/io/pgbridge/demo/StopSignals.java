package io.pgbridge.demo;

import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Turns the first Ctrl-C (SIGINT) or SIGTERM into a request to wind the demo down, instead of
 * the JVM's default of running shutdown hooks at once: the embedded PostgreSQL registers a hook
 * that stops the server, and the demo still needs it to drain the bridge and check the final
 * state. A second signal exits at once (the hooks then clean up). Uses {@code sun.misc.Signal}
 * (module jdk.unsupported) through reflection, which keeps the build free of "internal
 * proprietary API" warnings; where it is missing, the JVM's default handling stays. The
 * handlers run on the JVM's signal thread; {@link #install()} replaces the default handlers and
 * {@link #close()} puts them back.
 */
final class StopSignals implements AutoCloseable {

  private final CountDownLatch requested = new CountDownLatch(1);
  private final AtomicInteger received = new AtomicInteger();
  private final Map<Object, Object> previous = new LinkedHashMap<>();
  private final PrintStream out;
  private Method handle;

  StopSignals(PrintStream out) {
    this.out = out;
  }

  void install() {
    try {
      Class<?> signalType = Class.forName("sun.misc.Signal");
      Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
      handle = signalType.getMethod("handle", signalType, handlerType);
      Method getName = signalType.getMethod("getName");
      Object handler = Proxy.newProxyInstance(StopSignals.class.getClassLoader(),
          new Class<?>[] {handlerType}, (proxy, method, args) -> switch (method.getName()) {
            case "handle" -> {
              onSignal((String) getName.invoke(args[0]));
              yield null;
            }
            case "equals" -> proxy == args[0];
            case "hashCode" -> System.identityHashCode(proxy);
            default -> "demo stop handler";
          });
      for (String name : new String[] {"INT", "TERM"}) {
        Object signal = signalType.getConstructor(String.class).newInstance(name);
        try {
          previous.put(signal, handle.invoke(null, signal, handler));
        } catch (InvocationTargetException e) {
          // the JVM reserves this signal (IllegalArgumentException): its default stays
        }
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      out.println("[demo] cannot handle Ctrl-C here (" + e + "): it will end the demo without"
          + " a summary");
    }
  }

  private void onSignal(String name) {
    if (received.incrementAndGet() == 1) {
      out.println();
      out.println("[demo] SIG" + name + ": stopping the workload, draining the bridge, then the"
          + " summary (again to quit at once)");
      requested.countDown();
    } else {
      out.println("[demo] SIG" + name + " again: quitting without a summary");
      Thread quit = new Thread(() -> System.exit(130), "demo-quit");
      quit.start();
    }
  }

  /** Waits up to {@code nanos} for a stop request; true if one came. */
  boolean await(long nanos) throws InterruptedException {
    return requested.await(nanos, TimeUnit.NANOSECONDS);
  }

  boolean requested() {
    return requested.getCount() == 0;
  }

  @Override
  public void close() {
    previous.forEach((signal, handler) -> {
      try {
        handle.invoke(null, signal, handler);
      } catch (ReflectiveOperationException e) {
        // leaving our handler in place is harmless: the demo is ending
      }
    });
  }
}
