package io.pgbridge.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;

/**
 * A WebSocket client of the gateway for tests: connects (with optional token and Origin),
 * sends JSON, and collects every message received in order. Messages arrive on Jetty threads.
 */
public final class WsProbe implements Session.Listener.AutoDemanding, AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  final BlockingQueue<JsonNode> received = new LinkedBlockingQueue<>();
  final List<JsonNode> all = new ArrayList<>();
  final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
  private volatile Session session;

  static WsProbe connect(WebSocketClient client, int port, String token, String origin)
      throws Exception {
    WsProbe probe = new WsProbe();
    ClientUpgradeRequest request = new ClientUpgradeRequest();
    if (token != null) {
      request.setHeader("Authorization", "Bearer " + token);
    }
    if (origin != null) {
      request.setHeader("Origin", origin);
    }
    client.connect(probe, URI.create("ws://127.0.0.1:" + port + "/stream"), request)
        .get(10, TimeUnit.SECONDS);
    return probe;
  }

  @Override
  public void onWebSocketOpen(Session s) {
    session = s;
  }

  @Override
  public void onWebSocketText(String text) {
    try {
      received.add(JSON.readTree(text));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void onWebSocketClose(int code, String reason) {
    closeCode.complete(code);
  }

  void send(String json) {
    session.sendText(json, Callback.NOOP);
  }

  /** Waits for the next message (in order) that matches; earlier ones are kept in {@link #all}. */
  JsonNode await(Predicate<JsonNode> matches, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode n = received.poll(50, TimeUnit.MILLISECONDS);
      if (n != null) {
        all.add(n);
        if (matches.test(n)) {
          return n;
        }
      }
    }
    throw new AssertionError("no matching message within " + timeout + "; got " + all);
  }

  /** Every message received so far (drains the queue into {@link #all}). */
  List<JsonNode> drain() {
    received.drainTo(all);
    return all;
  }

  static Predicate<JsonNode> type(String t) {
    return n -> t.equals(n.path("type").asText());
  }

  @Override
  public void close() {
    Session s = session;
    if (s != null && s.isOpen()) {
      s.close();
    }
  }
}
