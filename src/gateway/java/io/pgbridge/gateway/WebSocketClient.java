package io.pgbridge.gateway;

import io.pgbridge.gateway.auth.Principal;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.exceptions.MessageTooLargeException;
import org.eclipse.jetty.websocket.common.WebSocketSession;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.OpCode;
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

  /**
   * Sends each message as a text frame of its shared UTF-8 bytes (no encoding or copy per
   * client: Jetty's {@code sendText} would encode the String again for every client). All but the last are batched, so Jetty gathers them and writes them with the last
   * in one flush; the last frame's completion means all were written.
   */
  @Override
  void write(List<OutboundQueue.Entry> entries, Runnable done, Consumer<Throwable> failed) {
    Session s = session;
    if (s == null || !s.isOpen()) {
      failed.accept(new IllegalStateException("closed"));
      return;
    }
    AtomicBoolean failedOnce = new AtomicBoolean();
    Consumer<Throwable> fail = t -> {
      if (failedOnce.compareAndSet(false, true)) {
        failed.accept(t);
      }
    };
    int last = entries.size() - 1;
    if (!(s instanceof WebSocketSession jetty)) {
      for (int i = 0; i <= last; i++) {
        s.sendText(entries.get(i).text(), i == last ? Callback.from(done, fail)
            : Callback.from(() -> { }, fail));
      }
      return;
    }
    CoreSession core = jetty.getCoreSession();
    for (int i = 0; i <= last; i++) {
      Frame frame = new Frame(OpCode.TEXT, ByteBuffer.wrap(entries.get(i).utf8()));
      core.sendFrame(frame, i == last ? org.eclipse.jetty.util.Callback.from(done, fail)
          : org.eclipse.jetty.util.Callback.from(() -> { }, fail), i != last);
    }
  }

  @Override
  void closeTransport(int code, String reason) {
    Session s = session;
    if (s != null && s.isOpen()) {
      s.close(code, reason, Callback.NOOP);
    }
  }
}
