package io.pgbridge.consumer;

import java.util.Map;
import java.util.TreeMap;

/**
 * A position in the state topic: per partition, the offset after the last record taken into
 * account. Written as {@code 0:1234,1:988} (the SSE event id and the WebSocket {@code since}).
 * Offsets are the topic's, so a position taken from one gateway replica is valid on another.
 */
public record Position(Map<Integer, Long> offsets) {

  public static final Position START = new Position(Map.of());

  public Position {
    offsets = Map.copyOf(offsets);
  }

  /** The offset after the last record seen in {@code partition}; 0 if none. */
  public long offset(int partition) {
    return offsets.getOrDefault(partition, 0L);
  }

  /** True if the record at {@code offset} in {@code partition} lies after this position. */
  public boolean before(int partition, long offset) {
    return offset >= offset(partition);
  }

  public String encode() {
    StringBuilder b = new StringBuilder();
    new TreeMap<>(offsets).forEach((p, o) -> {
      if (b.length() > 0) {
        b.append(',');
      }
      b.append(p).append(':').append(o);
    });
    return b.toString();
  }

  /** Parses {@link #encode()}'s form; throws {@link IllegalArgumentException} if malformed. */
  public static Position parse(String text) {
    Map<Integer, Long> out = new TreeMap<>();
    if (text == null || text.isBlank()) {
      return START;
    }
    if (text.length() > 16_384) {
      throw new IllegalArgumentException("position too long");
    }
    for (String part : text.split(",")) {
      int colon = part.indexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException("position entries are partition:offset, not " + part);
      }
      try {
        int p = Integer.parseInt(part.substring(0, colon).trim());
        long o = Long.parseLong(part.substring(colon + 1).trim());
        if (p < 0 || o < 0) {
          throw new IllegalArgumentException("negative partition or offset in " + part);
        }
        out.put(p, o);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("position entries are partition:offset, not " + part);
      }
    }
    return new Position(out);
  }

  @Override
  public String toString() {
    return encode();
  }
}
