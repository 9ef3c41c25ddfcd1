package io.pgbridge.consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * One heartbeat record of the bridge (topic {@code <topic>.heartbeat}, key = bridge id), as the
 * heartbeat contract defines it: when it was produced, the cadence, up to when everything is
 * published ({@code publishedUpTo}, null while unknown) and the state-topic offsets that hold.
 * Fields the producer adds later are ignored. Immutable.
 *
 * @param offsets per state-topic partition, the offset after the last record acknowledged when
 *     {@code publishedUpTo} was established
 */
public record Heartbeat(String bridgeId, String instance, Instant time, long intervalMs,
    String source, Instant publishedUpTo, Map<Integer, Long> offsets) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public Heartbeat {
    offsets = Map.copyOf(offsets);
  }

  /** Parses a heartbeat value; throws {@link IllegalArgumentException} if it is not one. */
  public static Heartbeat parse(String key, byte[] value) {
    if (value == null) {
      throw new IllegalArgumentException("empty heartbeat");
    }
    try {
      JsonNode n = JSON.readTree(value);
      if (n == null || !n.isObject()) {
        throw new IllegalArgumentException("heartbeat is not a JSON object");
      }
      Instant time = instant(n.get("time"));
      if (time == null) {
        throw new IllegalArgumentException("heartbeat has no time");
      }
      long interval = n.path("intervalMs").asLong(0);
      if (interval <= 0) {
        throw new IllegalArgumentException("heartbeat has no positive intervalMs");
      }
      Map<Integer, Long> offsets = new HashMap<>();
      JsonNode o = n.get("offsets");
      if (o != null && o.isObject()) {
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          offsets.put(Integer.parseInt(e.getKey()), e.getValue().asLong());
        }
      }
      String bridge = n.hasNonNull("bridgeId") ? n.get("bridgeId").asText() : key;
      return new Heartbeat(bridge, n.path("instance").asText(null), time, interval,
          n.path("source").asText(null), instant(n.get("publishedUpTo")), offsets);
    } catch (IOException | NumberFormatException | DateTimeParseException e) {
      throw new IllegalArgumentException("not a heartbeat: " + e.getMessage(), e);
    }
  }

  private static Instant instant(JsonNode n) {
    return n == null || n.isNull() ? null : Instant.parse(n.asText());
  }
}
