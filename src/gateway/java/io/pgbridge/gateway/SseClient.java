package io.pgbridge.gateway;

import io.pgbridge.gateway.auth.Principal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.eclipse.jetty.server.Response;

/**
 * A client on a Server-Sent Events stream ({@code GET /stream} without an upgrade): each
 * message is one event whose {@code data:} is the same JSON as on a WebSocket; heartbeats carry
 * an {@code id:} (the position), which the browser's EventSource sends back as
 * {@code Last-Event-ID} when it reconnects. The response stays open until the client goes or
 * the gateway closes it; writes are asynchronous, one at a time.
 */
final class SseClient extends Client {

  private final Response response;
  private final org.eclipse.jetty.util.Callback completion;

  SseClient(long id, Principal principal, int queueMax, Executor sender, GatewayMetrics metrics,
      LongSupplier clockMs, Response response, org.eclipse.jetty.util.Callback completion) {
    super(id, principal, queueMax, sender, metrics, clockMs);
    this.response = response;
    this.completion = completion;
  }

  @Override
  String transport() {
    return "sse";
  }

  static String event(OutboundQueue.Entry e) {
    StringBuilder b = new StringBuilder(e.text().length() + 32);
    if (e.eventId() != null) {
      b.append("id: ").append(e.eventId()).append('\n');
    }
    return b.append("data: ").append(e.text()).append("\n\n").toString();
  }

  @Override
  void write(OutboundQueue.Entry entry, Runnable done, Consumer<Throwable> failed) {
    response.write(false, ByteBuffer.wrap(event(entry).getBytes(StandardCharsets.UTF_8)),
        org.eclipse.jetty.util.Callback.from(done, failed));
  }

  @Override
  void closeTransport(int code, String reason) {
    completion.succeeded();
  }
}
