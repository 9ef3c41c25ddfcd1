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
    private final boolean retriable;

    public TopicProblem(String message, Throwable cause) {
      this(message, cause, false);
    }

    public TopicProblem(String message, Throwable cause, boolean retriable) {
      super(message, cause);
      this.retriable = retriable;
    }

    /** True when Kafka did not answer (down, starting): waiting may clear it. */
    public boolean isTransient() {
      return retriable;
    }
  }

  private TopicManager() {}

  /**
   * Ensures {@code topic} exists; returns a warning text when it exists but is not compacted.
   */
  public static Optional<String> ensure(Map<String, Object> adminProps, String topic,
      boolean create, int partitions, short replicationFactor, long timeoutMs)
      throws TopicProblem, InterruptedException {
    Admin admin = Admin.create(withTimeout(adminProps, timeoutMs));
    try {
      Set<String> names = admin.listTopics().names().get(timeoutMs, TimeUnit.MILLISECONDS);
      if (!names.contains(topic)) {
        if (!create) {
          throw new TopicProblem("topic '" + topic + "' does not exist: create it (compacted)"
              + " or set topic.creation.enable=true", null);
        }
        NewTopic nt = new NewTopic(topic, Optional.of(partitions),
            replicationFactor == -1 ? Optional.empty() : Optional.of(replicationFactor))
            .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        try {
          admin.createTopics(List.of(nt)).all().get(timeoutMs, TimeUnit.MILLISECONDS);
          log.info("created compacted topic {} ({} partitions)", topic, partitions);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
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
          + e.getCause(), e.getCause(),
          e.getCause() instanceof org.apache.kafka.common.errors.RetriableException);
    } catch (TimeoutException e) {
      throw new TopicProblem("Kafka did not answer within " + timeoutMs + " ms: check"
          + " kafka.bootstrap.servers and the kafka.security.protocol / kafka.sasl.* settings",
          e, true);
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
