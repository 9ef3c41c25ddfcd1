package io.pgbridge.publish;

import java.util.List;

/**
 * A record ready for Kafka, independent of the Kafka client: key bytes, value bytes (null for
 * a tombstone) and headers in order.
 */
public record StateRecord(byte[] key, byte[] value, List<Header> headers) {

  /** One record header. */
  public record Header(String key, byte[] value) {}

  public boolean isTombstone() {
    return value == null;
  }
}
