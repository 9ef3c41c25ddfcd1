package io.pgbridge.heartbeat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The heartbeat record: key {@code bridge.id}, value a JSON object with {@code bridgeId},
 * {@code instance}, {@code time} (bridge clock), {@code intervalMs}, {@code source},
 * {@code publishedUpTo} (database clock; null until known), {@code position} and
 * {@code offsets} (state-topic partition to the offset after the last record acknowledged when
 * {@code publishedUpTo} was established). Field names are a contract with consumers: add, never
 * rename or drop. Pure; thread-safe.
 */
public final class HeartbeatRecord {

  private static final ObjectMapper JSON = new ObjectMapper();

  private HeartbeatRecord() {}

  public static byte[] key(String bridgeId) {
    return bridgeId.getBytes(StandardCharsets.UTF_8);
  }

  public static byte[] value(String bridgeId, String instance, Instant time, long intervalMs,
      String source, Optional<PublishedPosition> position) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("bridgeId", bridgeId);
    v.put("instance", instance);
    v.put("time", time.toString());
    v.put("intervalMs", intervalMs);
    v.put("source", source);
    v.put("publishedUpTo", position.map(p -> p.publishedUpTo().toString()).orElse(null));
    v.put("position", position.map(PublishedPosition::position).orElse(null));
    Map<String, Long> offsets = new LinkedHashMap<>();
    position.ifPresent(p -> p.offsets().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> offsets.put(Integer.toString(e.getKey()), e.getValue())));
    v.put("offsets", offsets);
    try {
      return JSON.writeValueAsBytes(v);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a map of strings and numbers always serialises", e);
    }
  }
}
