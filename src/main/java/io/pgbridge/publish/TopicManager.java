package io.pgbridge.publish;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks at start that the topic exists and is compacted, creating it when
 * {@code topic.creation.enable} is on. Uses a short-lived admin client; called once from the
 * starting thread. Problems are reported as {@link TopicProblem} with a message naming the
 * setting to change.
 */
public final class TopicManager {

  private static final Logger log = LoggerFactory.getLogger(TopicManager.class);

  /** A topic problem that stops the bridge. */
  public static final class TopicProblem extends Exception {
    public TopicProblem(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private TopicManager() {}

  /** The {@code kafka.*} client settings without the producer-only ones an admin client rejects. */
  public static Map<String, Object> adminSettings(Map<String, Object> clientSettings) {
    Map<String, Object> admin = new HashMap<>(clientSettings);
    admin.keySet().removeIf(k -> k.startsWith("linger") || k.startsWith("acks")
        || k.startsWith("enable.idempotence") || k.startsWith("compression")
        || k.startsWith("batch.") || k.startsWith("delivery.") || k.startsWith("max.block")
        || k.startsWith("max.in.flight") || k.startsWith("buffer.") || k.startsWith("key.")
        || k.startsWith("value.") || k.startsWith("partitioner") || k.startsWith("transaction"));
    return admin;
  }

  /**
   * Ensures {@code topic} exists; returns a warning text when it exists but is not compacted.
   */
  public static Optional<String> ensure(Map<String, Object> adminProps, String topic,
      boolean create, int partitions, short replicationFactor, long timeoutMs)
      throws TopicProblem, InterruptedException {
    return ensure(adminProps, topic, create, partitions, replicationFactor, timeoutMs,
        Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT),
        "create it (compacted) or set topic.creation.enable=true", true);
  }

  /**
   * Ensures the heartbeat topic exists: created (when allowed) with one partition, compacted
   * so that a new consumer finds each bridge's latest heartbeat, and deleting after
   * {@code retentionMs} so that a bridge gone for longer leaves no heartbeat to trust.
   */
  public static void ensureHeartbeatTopic(Map<String, Object> adminProps, String topic,
      boolean create, short replicationFactor, long retentionMs, long timeoutMs)
      throws TopicProblem, InterruptedException {
    ensure(adminProps, topic, create, 1, replicationFactor, timeoutMs, Map.of(
        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT + ","
            + TopicConfig.CLEANUP_POLICY_DELETE,
        TopicConfig.RETENTION_MS_CONFIG, Long.toString(retentionMs),
        TopicConfig.SEGMENT_MS_CONFIG, Long.toString(retentionMs)),
        "create it (one partition, cleanup.policy=compact,delete), set"
            + " topic.creation.enable=true, or turn heartbeats off with heartbeat.interval.ms=0",
        false);
  }

  private static Optional<String> ensure(Map<String, Object> adminProps, String topic,
      boolean create, int partitions, short replicationFactor, long timeoutMs,
      Map<String, String> configs, String whenMissing, boolean mustBeCompacted)
      throws TopicProblem, InterruptedException {
    Admin admin = Admin.create(withTimeout(adminProps, timeoutMs));
    try {
      Set<String> names = admin.listTopics().names().get(timeoutMs, TimeUnit.MILLISECONDS);
      if (!names.contains(topic)) {
        if (!create) {
          throw new TopicProblem("topic '" + topic + "' does not exist: " + whenMissing, null);
        }
        NewTopic nt = new NewTopic(topic, Optional.of(partitions),
            replicationFactor == -1 ? Optional.empty() : Optional.of(replicationFactor))
            .configs(configs);
        try {
          admin.createTopics(List.of(nt)).all().get(timeoutMs, TimeUnit.MILLISECONDS);
          log.info("created topic {} ({} partitions, {})", topic, partitions, configs);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
        return Optional.empty();
      }
      if (!mustBeCompacted) {
        return Optional.empty();
      }
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Config config = admin.describeConfigs(List.of(resource)).all()
          .get(timeoutMs, TimeUnit.MILLISECONDS).get(resource);
      ConfigEntry policy = config.get(TopicConfig.CLEANUP_POLICY_CONFIG);
      if (policy == null || !policy.value().contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
        return Optional.of("topic '" + topic + "' has cleanup.policy="
            + (policy == null ? "?" : policy.value()) + ", not compact: old states of every"
            + " session are kept until retention deletes them, and a new consumer may miss a"
            + " session's latest state once it is older than retention");
      }
      return Optional.empty();
    } catch (ExecutionException e) {
      throw new TopicProblem("cannot check topic '" + topic + "' on kafka.bootstrap.servers: "
          + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new TopicProblem("Kafka did not answer within " + timeoutMs + " ms: check"
          + " kafka.bootstrap.servers and the kafka.security.protocol / kafka.sasl.* settings",
          e);
    } finally {
      // a call still pending (unreachable broker) would hold close() until it expires
      admin.close(Duration.ofSeconds(1));
    }
  }

  /**
   * The admin client's own deadline for a call, {@code default.api.timeout.ms}, defaults to
   * 60 s, longer than {@code timeoutMs}: a call to an unreachable broker would outlive the wait
   * for it. Aligned unless the operator set it.
   */
  private static Map<String, Object> withTimeout(Map<String, Object> adminProps, long timeoutMs) {
    Map<String, Object> props = new HashMap<>(adminProps);
    props.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
        (int) Math.min(Integer.MAX_VALUE, timeoutMs));
    return props;
  }
}
