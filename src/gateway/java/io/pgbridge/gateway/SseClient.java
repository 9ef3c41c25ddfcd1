package io.pgbridge.gateway;

import io.pgbridge.gateway.auth.Principal;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.eclipse.jetty.server.Response;

/**
 * A client on a Server-Sent Events stream ({@code GET /stream} without an upgrade): each
 * message is one event whose {@code data:} is the same JSON as on a WebSocket; heartbeats carry
 * an {@code id:} (the position), which the browser's EventSource sends back as
 * {@code Last-Event-ID} when it reconnects. The response stays open until the client goes or
 * the gateway closes it; writes are asynchronous, one at a time (the events waiting, up to a
 * batch, in one write).
 */
final class SseClient extends Client {

  private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);

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

  /** One event: {@code id:} when the message moves the stream's position, then its data. */
  static void event(OutboundQueue.Entry e, ByteArrayOutputStream out) {
    if (e.eventId() != null) {
      out.writeBytes(("id: " + e.eventId() + "\n").getBytes(StandardCharsets.UTF_8));
    }
    out.writeBytes(DATA);
    out.writeBytes(e.utf8());
    out.writeBytes(END);
  }

  @Override
  void write(List<OutboundQueue.Entry> entries, Runnable done, Consumer<Throwable> failed) {
    ByteArrayOutputStream events = new ByteArrayOutputStream();
    for (OutboundQueue.Entry e : entries) {
      event(e, events);
    }
    response.write(false, ByteBuffer.wrap(events.toByteArray()),
        org.eclipse.jetty.util.Callback.from(done, failed));
  }

  @Override
  void closeTransport(int code, String reason) {
    completion.succeeded();
  }
}
