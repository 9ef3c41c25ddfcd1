package io.pgbridge.gateway;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.pgbridge.consumer.Liveness;
import io.pgbridge.consumer.Position;
import io.pgbridge.consumer.SessionState;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The gateway's server-to-client messages, as JSON text (one WebSocket text frame or one SSE
 * {@code data:} line each). A state message embeds the session's state JSON unchanged, built
 * once per change and shared by every client it goes to. Pure and thread-safe. The shapes are
 * documented in the README ("The gateway protocol").
 */
public final class Protocol {

  private static final JsonStringEncoder ENCODER = JsonStringEncoder.getInstance();

  private Protocol() {}

  static String quote(String s) {
    return s == null ? "null" : "\"" + new String(ENCODER.quoteAsString(s)) + "\"";
  }

  /** {@code {"type":"state", sessionId, projectId, version, updatedAt, partition, offset, state}}. */
  public static String state(SessionState s) {
    return new String(stateUtf8(s), StandardCharsets.UTF_8);
  }

  /**
   * {@link #state} as UTF-8, built without decoding the state: the record's bytes are copied
   * once behind the header. The fan-out sends these bytes to every client as they are.
   */
  static byte[] stateUtf8(SessionState s) {
    byte[] header = ("{\"type\":\"state\",\"sessionId\":" + quote(s.sessionId())
        + ",\"projectId\":" + quote(s.projectId())
        + ",\"version\":" + s.version()
        + ",\"updatedAt\":" + quote(s.updatedAt())
        + ",\"partition\":" + s.partition()
        + ",\"offset\":" + s.offset()
        + ",\"state\":").getBytes(StandardCharsets.UTF_8);
    byte[] state = s.state();
    byte[] out = new byte[header.length + state.length + 1];
    System.arraycopy(header, 0, out, 0, header.length);
    System.arraycopy(state, 0, out, header.length, state.length);
    out[out.length - 1] = '}';
    return out;
  }

  /** The body of {@code GET /sessions/{id}}: the record contract's envelope shape. */
  public static String envelope(SessionState s) {
    return "{\"sessionId\":" + quote(s.sessionId()) + ",\"projectId\":" + quote(s.projectId())
        + ",\"version\":" + s.version() + ",\"updatedAt\":" + quote(s.updatedAt())
        + ",\"state\":" + new String(s.state(), StandardCharsets.UTF_8) + "}";
  }

  /**
   * {@code {"type":"deleted", sessionId, projectId, reason}}: reason {@code tombstone} (the
   * session was deleted) or {@code unknown} (a session the client said it holds that the
   * gateway does not know, or no longer keeps).
   */
  public static String deleted(String sessionId, String projectId, String reason) {
    return "{\"type\":\"deleted\",\"sessionId\":" + quote(sessionId) + ",\"projectId\":"
        + quote(projectId) + ",\"reason\":" + quote(reason) + "}";
  }

  /** Sent after the current states of a subscription: the client now holds all of them. */
  public static String synced(String requestId, int states, int deleted, Position position) {
    return "{\"type\":\"synced\",\"id\":" + quote(requestId) + ",\"states\":" + states
        + ",\"deleted\":" + deleted + ",\"position\":" + quote(position.encode()) + "}";
  }

  /**
   * Sent before a full snapshot when a client resumed from a position older than the deletions
   * the gateway still remembers: drop every session of the subscription not sent again.
   */
  public static String reset(String requestId) {
    return "{\"type\":\"reset\",\"id\":" + quote(requestId) + "}";
  }

  /**
   * {@code {"type":"heartbeat", time, bridge, lastBridgeHeartbeat, currentAsOf, caughtUp,
   * intervalMs, position}}: {@code bridge} is {@code live}, {@code stale} or {@code unknown}
   * per the bridge's own heartbeats; {@code position} is where everything before was sent.
   */
  public static String heartbeat(Instant now, Liveness l, boolean caughtUp, long intervalMs,
      Position position) {
    return "{\"type\":\"heartbeat\",\"time\":" + quote(now.toString())
        + ",\"bridge\":" + quote(l.bridge().text())
        + ",\"lastBridgeHeartbeat\":" + quote(l.lastHeartbeat() == null ? null
            : l.lastHeartbeat().toString())
        + ",\"currentAsOf\":" + quote(l.currentAsOf() == null ? null : l.currentAsOf().toString())
        + ",\"caughtUp\":" + caughtUp + ",\"intervalMs\":" + intervalMs
        + ",\"position\":" + quote(position.encode()) + "}";
  }

  /**
   * {@code {"type":"error", code, message, id}}: codes {@code bad_request}, {@code forbidden},
   * {@code too_many_subscriptions}, {@code unauthorized}, {@code overloaded}.
   */
  public static String error(String code, String message, String requestId) {
    return "{\"type\":\"error\",\"code\":" + quote(code) + ",\"message\":" + quote(message)
        + ",\"id\":" + quote(requestId) + "}";
  }
}
