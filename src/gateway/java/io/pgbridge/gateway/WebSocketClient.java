package io.pgbridge.gateway;

import io.pgbridge.gateway.auth.Principal;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.exceptions.MessageTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client on a WebSocket: the Jetty endpoint (its callbacks run on Jetty threads) and the
 * writer of its messages as text frames. Text messages from the client are {@link ClientMessage}s;
 * a refused one is answered with an {@code error} message and the connection stays open. A
 * message over {@code max.message.bytes} makes Jetty close the connection with 1009 (counted).
 */
public final class WebSocketClient extends Client implements Session.Listener.AutoDemanding {

  private static final Logger log = LoggerFactory.getLogger(WebSocketClient.class);

  private final Fanout fanout;
  private final GatewayMetrics metrics;
  private volatile Session session;

  WebSocketClient(long id, Principal principal, int queueMax, Executor sender,
      GatewayMetrics metrics, LongSupplier clockMs, Fanout fanout) {
    super(id, principal, queueMax, sender, metrics, clockMs);
    this.fanout = fanout;
    this.metrics = metrics;
  }

  @Override
  String transport() {
    return "websocket";
  }

  @Override
  public void onWebSocketOpen(Session s) {
    this.session = s;
    fanout.add(this);
    log.debug("WebSocket client {} ({}) connected", id, principal.subject());
  }

  @Override
  public void onWebSocketText(String text) {
    ClientMessage m;
    try {
      m = ClientMessage.parse(text);
    } catch (ClientMessage.BadRequest e) {
      metrics.refused("bad_request");
      offerLast(fanout.control("error", Protocol.error("bad_request", e.getMessage(), null)));
      return;
    }
    Fanout.Refusal refusal = fanout.handle(this, m);
    if (refusal != null) {
      offerLast(fanout.control("error", Protocol.error(refusal.code(), refusal.message(),
          m.id())));
    }
  }

  @Override
  public void onWebSocketClose(int statusCode, String reason) {
    closedByPeer();
  }

  @Override
  public void onWebSocketError(Throwable cause) {
    if (cause instanceof MessageTooLargeException) {
      metrics.refused("message_too_large");
    } else {
      log.debug("WebSocket client {}: {}", id, cause.toString());
    }
    closedByPeer();
  }

  @Override
  void write(OutboundQueue.Entry entry, Runnable done, Consumer<Throwable> failed) {
    Session s = session;
    if (s == null || !s.isOpen()) {
      failed.accept(new IllegalStateException("closed"));
      return;
    }
    s.sendText(entry.text(), Callback.from(done, failed));
  }

  @Override
  void closeTransport(int code, String reason) {
    Session s = session;
    if (s != null && s.isOpen()) {
      s.close(code, reason, Callback.NOOP);
    }
  }
}
