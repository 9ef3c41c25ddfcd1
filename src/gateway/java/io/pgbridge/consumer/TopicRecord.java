package io.pgbridge.consumer;

import java.util.Map;

/**
 * One record of the state topic as the consumer received it, before any rule is applied: where
 * it is (partition, offset), its append time, key, value (null for a tombstone) and the
 * contract's headers as text. Built by {@link StateMaterializer} from a Kafka record, or by
 * hand in tests.
 *
 * @param timestampMs the record's timestamp (CreateTime of the bridge's producer or LogAppendTime)
 * @param headers header name to UTF-8 text, the last value of each name
 */
public record TopicRecord(int partition, long offset, long timestampMs, String key, byte[] value,
    Map<String, String> headers) {

  public boolean tombstone() {
    return value == null;
  }

  public String header(String name) {
    return headers.get(name);
  }
}
