package io.pgbridge.heartbeat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;

/**
 * The end offset of every partition of one topic, read with an admin client it owns (created
 * by the caller, closed by {@link #close()}). Called from the heartbeat thread.
 */
public final class TopicEndOffsets implements Heartbeater.EndOffsets, AutoCloseable {

  private static final long TIMEOUT_MS = 10_000;

  private final Admin admin;
  private final String topic;

  public TopicEndOffsets(Admin admin, String topic) {
    this.admin = admin;
    this.topic = topic;
  }

  @Override
  public Map<Integer, Long> read() throws Exception {
    TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames()
        .get(TIMEOUT_MS, TimeUnit.MILLISECONDS).get(topic);
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    d.partitions().forEach(p -> request.put(new TopicPartition(topic, p.partition()),
        OffsetSpec.latest()));
    Map<TopicPartition, ListOffsetsResultInfo> result = admin.listOffsets(request).all()
        .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    Map<Integer, Long> out = new HashMap<>();
    result.forEach((tp, info) -> out.put(tp.partition(), info.offset()));
    return out;
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(1));
  }
}
