package io.pgbridge.bench;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;

/**
 * The load generator's side of the gateway benchmark: many WebSocket subscribers on one Jetty
 * client, each subscribed to one project. A state message carries the time its record was
 * produced ({@code sentAt} in the state); the receive time minus that is recorded in an
 * HdrHistogram, without parsing the rest of the message. Callbacks run on Jetty's client threads.
 */
final class BenchSubscribers implements AutoCloseable {

  private final WebSocketClient client;
  private final List<Subscriber> subscribers = new ArrayList<>();
  final Recorder latencyMicros = new Recorder(3);
  final LongAdder states = new LongAdder();
  final AtomicInteger closed = new AtomicInteger();
  final AtomicInteger synced = new AtomicInteger();

  BenchSubscribers() throws Exception {
    QueuedThreadPool threads = new QueuedThreadPool(64, 8);
    threads.setName("bench-ws");
    HttpClient http = new HttpClient();
    http.setExecutor(threads);
    http.setMaxConnectionsPerDestination(1_000_000);
    client = new WebSocketClient(http);
    client.setIdleTimeout(java.time.Duration.ofMinutes(10));
    client.start();
  }

  /** One subscriber: records the latency of every state it receives. */
  public final class Subscriber implements Session.Listener.AutoDemanding {
    private final String project;
    private volatile Session session;

    Subscriber(String project) {
      this.project = project;
    }

    @Override
    public void onWebSocketOpen(Session s) {
      session = s;
      s.sendText("{\"type\":\"subscribe\",\"projects\":[\"" + project + "\"]}", Callback.NOOP);
    }

    @Override
    public void onWebSocketText(String text) {
      if (text.startsWith("{\"type\":\"state\"")) {
        int at = text.indexOf("\"sentAt\":");
        if (at > 0) {
          int from = at + 9;
          int to = from;
          while (to < text.length() && Character.isDigit(text.charAt(to))) {
            to++;
          }
          long sent = Long.parseLong(text, from, to, 10);
          if (sent > 0) {
            latencyMicros.recordValue(Math.max(0, System.currentTimeMillis() - sent) * 1000);
          }
        }
        states.increment();
      } else if (text.startsWith("{\"type\":\"synced\"")) {
        synced.incrementAndGet();
      }
    }

    @Override
    public void onWebSocketClose(int code, String reason) {
      closed.incrementAndGet();
    }
  }

  /** Connects {@code count} subscribers, at most {@code inFlight} handshakes at a time. */
  void connect(int port, List<String> projects, int count, int inFlight) throws Exception {
    Semaphore permits = new Semaphore(inFlight);
    List<CompletableFuture<Session>> futures = new ArrayList<>();
    URI uri = URI.create("ws://127.0.0.1:" + port + "/stream");
    for (int i = 0; i < count; i++) {
      permits.acquire();
      Subscriber s = new Subscriber(projects.get(i % projects.size()));
      subscribers.add(s);
      CompletableFuture<Session> f = client.connect(s, uri);
      f.whenComplete((session, failure) -> permits.release());
      futures.add(f);
    }
    for (CompletableFuture<Session> f : futures) {
      f.get(60, TimeUnit.SECONDS);
    }
  }

  int open() {
    int n = 0;
    for (Subscriber s : subscribers) {
      if (s.session != null && s.session.isOpen()) {
        n++;
      }
    }
    return n;
  }

  @Override
  public void close() throws Exception {
    client.stop();
  }
}
