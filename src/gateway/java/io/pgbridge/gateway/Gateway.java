package io.pgbridge.gateway;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgbridge.consumer.Change;
import io.pgbridge.consumer.HeartbeatTracker;
import io.pgbridge.consumer.Liveness;
import io.pgbridge.consumer.Position;
import io.pgbridge.consumer.RecordDecoder;
import io.pgbridge.consumer.StateMaterializer;
import io.pgbridge.consumer.StateView;
import io.pgbridge.gateway.auth.Authenticator;
import io.pgbridge.gateway.auth.Principal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reference gateway: a {@link StateMaterializer} holding the whole state topic, a
 * {@link Fanout} to the clients that watch it, and a Jetty server with the WebSocket and SSE
 * endpoint {@code /stream}, {@code GET /sessions/{id}}, the page and the operational endpoints.
 * Owns its threads: the consumer thread, Jetty's pool ({@code gateway-http}), the send executor
 * ({@code gateway-send}) and the heartbeat scheduler ({@code gateway-heartbeat}). Nothing is
 * static, so two gateways run in one JVM. {@link #start()} then {@link #close()}.
 */
public final class Gateway implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Gateway.class);
  /** How often a slice of the clients gets its heartbeat. */
  private static final long HEARTBEAT_TICK_MS = 20;

  private final GatewayConfig config;
  private final Clock clock;
  private final PrometheusMeterRegistry registry;
  private final Authenticator authenticator;
  private final GatewayMetrics metrics;
  private final StateView view;
  private final HeartbeatTracker heartbeats;
  private final StateMaterializer materializer;
  private final Fanout fanout;
  private final ThreadPoolExecutor sender;
  private final ScheduledExecutorService ticker;
  private final AtomicLong clientIds = new AtomicLong();
  private final Server server;
  private final ServerConnector connector;
  private volatile boolean started;
  private final int heartbeatSlots;
  /** Heartbeat thread only. */
  private long tickCount;

  public Gateway(GatewayConfig config, PrometheusMeterRegistry registry,
      Authenticator authenticator, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.registry = registry;
    this.authenticator = authenticator;
    this.metrics = new GatewayMetrics(registry);
    this.view = new StateView(new RecordDecoder(config.valueFormat(),
        config.retention().statusField()), config.retention());
    this.heartbeats = new HeartbeatTracker(clock::millis, view::position);
    this.materializer = new StateMaterializer(new StateMaterializer.Settings(
        config.kafkaClientProperties(), config.topic(), config.heartbeatTopic(), 100, 1_000),
        view, heartbeats, clock::millis);
    this.heartbeatSlots = (int) Math.max(1, config.clientHeartbeatMs() / HEARTBEAT_TICK_MS);
    this.fanout = new Fanout(view, metrics, config.maxSubscriptions(), clock::millis);
    // first, so that it times the record's arrival, not the fan-out after it
    view.addListener(change -> {
      if (change.kind() != Change.Kind.EVICTED && change.timestampMs() > 0) {
        metrics.receiveLag(clock.millis() - change.timestampMs());
      }
    });
    view.addListener(fanout);
    metrics.bind(materializer, view, fanout::subscriptions, fanout::clients);
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    AtomicInteger n = new AtomicInteger();
    // at most one task per client is queued (a client schedules its next write only after
    // the previous completed), so the queue is bounded by max.connections
    this.sender = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(config.maxConnections() + 64), r -> {
          Thread t = new Thread(r, "gateway-send-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "gateway-heartbeat");
      t.setDaemon(true);
      return t;
    });

    QueuedThreadPool pool = new QueuedThreadPool(200, 8);
    pool.setName("gateway-http");
    this.server = new Server(pool);
    this.connector = new ServerConnector(server);
    connector.setPort(config.httpPort());
    if (!config.httpHost().isEmpty()) {
      connector.setHost(config.httpHost());
    }
    connector.setIdleTimeout(config.idleTimeoutMs());
    connector.setAcceptQueueSize(1024);
    server.addConnector(connector);
    Admission admission = new Admission(config.allowedOrigins(), authenticator, metrics);
    ContextHandler context = new ContextHandler("/");
    WebSocketUpgradeHandler ws = WebSocketUpgradeHandler.from(server, context, container -> {
      container.setMaxTextMessageSize(config.maxMessageBytes());
      container.setMaxBinaryMessageSize(config.maxMessageBytes());
      container.setIdleTimeout(Duration.ofMillis(config.idleTimeoutMs()));
      container.addMapping(GatewayHandler.STREAM_PATH, (request, response, callback) -> {
        Admission.Result r = admission.admit(request);
        if (!r.admitted()) {
          GatewayHandler.refuse(response, callback, r);
          return null;
        }
        if (!admitConnection()) {
          GatewayHandler.send(response, callback, 503, "application/json",
              Protocol.error("overloaded", "too many connections", null));
          return null;
        }
        return new WebSocketClient(clientIds.incrementAndGet(), r.principal(),
            config.clientQueueMax(), sender, metrics, clock::millis, fanout);
      });
    });
    context.setHandler(ws);
    ws.setHandler(new GatewayHandler(this, view, admission, registry, this::status));
    server.setHandler(context);
  }

  public void start() throws Exception {
    if (authenticator instanceof io.pgbridge.gateway.auth.OpenAccess) {
      log.warn("auth.mode=none: anyone who reaches this gateway may watch every project");
    }
    materializer.start();
    server.start();
    long every = config.clientHeartbeatMs() / heartbeatSlots;
    ticker.scheduleAtFixedRate(this::tick, every, every, TimeUnit.MILLISECONDS);
    started = true;
    log.info("Gateway on port {}: page /, WebSocket and SSE {}, GET {}{{id}}, {} {} {}", port(),
        GatewayHandler.STREAM_PATH, GatewayHandler.SESSIONS_PATH, GatewayHandler.METRICS_PATH,
        GatewayHandler.HEALTH_PATH, GatewayHandler.READY_PATH);
  }

  /**
   * One slot of the heartbeat round: the clients whose id falls in it get their heartbeat
   * (and lose their connection if their credentials expired). Spreading a round over
   * slots of {@value #HEARTBEAT_TICK_MS} ms (100 at the default 2 s) keeps the heartbeats of
   * 10,000 clients (5,000 a second) from queueing in front of state messages in bursts (ten
   * slots made bursts of 1,000 every 200 ms); each client still gets one per interval.
   */
  private void tick() {
    long slot = tickCount++ % heartbeatSlots;
    try {
      Position position = view.position();
      Liveness liveness = heartbeats.liveness();
      Instant now = clock.instant();
      String text = Protocol.heartbeat(now, liveness, materializer.caughtUp(),
          config.clientHeartbeatMs(), position);
      OutboundQueue.Entry beat = new OutboundQueue.Entry("\u0000heartbeat", 0, text, -1, -1,
          "heartbeat", position.encode());
      for (Client c : fanout.clients) {
        if (c.id % heartbeatSlots != slot) {
          continue;
        }
        Principal p = c.principal;
        if (p.expiresAt() != null && now.isAfter(p.expiresAt())) {
          metrics.dropped("token_expired");
          c.close(1008, "token expired: reconnect with a fresh one");
          continue;
        }
        c.offerLast(beat);
      }
    } catch (RuntimeException e) {
      log.warn("Heartbeat round failed", e);
    }
  }

  boolean admitConnection() {
    if (fanout.clients.size() >= config.maxConnections()) {
      metrics.refused("too_many_connections");
      return false;
    }
    return true;
  }

  SseClient newSseClient(Principal principal, Response response, Callback completion) {
    SseClient c = new SseClient(clientIds.incrementAndGet(), principal, config.clientQueueMax(),
        sender, metrics, clock::millis, response, completion);
    fanout.add(c);
    return c;
  }

  Fanout fanout() {
    return fanout;
  }

  public GatewayMetrics metrics() {
    return metrics;
  }

  public StateView view() {
    return view;
  }

  public StateMaterializer materializer() {
    return materializer;
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  public boolean alive() {
    return materializer.failure() == null && server.isRunning();
  }

  public boolean ready() {
    return started && materializer.caughtUp();
  }

  public int clients() {
    return fanout.clients.size();
  }

  Map<String, Object> status() {
    Map<String, Object> s = new LinkedHashMap<>();
    Liveness l = heartbeats.liveness();
    s.put("ready", ready());
    s.put("caughtUp", materializer.caughtUp());
    s.put("topic", config.topic());
    s.put("topicFound", materializer.topicFound());
    s.put("heartbeatTopic", config.heartbeatTopic());
    s.put("heartbeatTopicFound", materializer.heartbeatTopicFound());
    s.put("bridge", l.bridge().text());
    s.put("lastBridgeHeartbeat", l.lastHeartbeat() == null ? null : l.lastHeartbeat().toString());
    s.put("currentAsOf", l.currentAsOf() == null ? null : l.currentAsOf().toString());
    s.put("sessions", view.size());
    s.put("lagRecords", materializer.lagRecords());
    s.put("position", view.position().encode());
    s.put("clients", fanout.clients.size());
    s.put("subscriptions", fanout.subscriptions());
    s.put("authMode", config.authMode());
    Throwable f = materializer.failure();
    s.put("lastError", f == null ? null : f.toString());
    return s;
  }

  @Override
  public void close() {
    ticker.shutdownNow();
    for (Client c : fanout.clients) {
      c.close(1001, "gateway stopping");
    }
    try {
      server.stop();
    } catch (Exception e) {
      log.warn("Stopping the HTTP server", e);
    }
    materializer.close();
    sender.shutdownNow();
    authenticator.close();
    try {
      ticker.awaitTermination(5, TimeUnit.SECONDS);
      sender.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
