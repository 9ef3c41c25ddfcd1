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
 * Checks at start that the topic exists and is compacted, and that a dead letter topic exists
 * and is not, creating them when {@code topic.creation.enable} is on. Uses a short-lived admin client; called once from the
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

  /** What a topic is for, which says how it is created and which cleanup policy it needs. */
  public enum Kind {
    STATE("topic"), DEAD_LETTERS("dead letter topic"), HEARTBEAT("heartbeat topic");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }

  /**
   * A topic pgbridge may create: what it is for, name, partitions, replication factor (-1: the
   * broker's), the topic configs it is created with, and what to do when it is missing.
   */
  public record TopicSpec(Kind kind, String name, int partitions, short replicationFactor,
      Map<String, String> configs, String whenMissing) {

    /** The state topic: compacted, so that every session's latest state stays. */
    public static TopicSpec state(String name, int partitions, short replicationFactor) {
      return new TopicSpec(Kind.STATE, name, partitions, replicationFactor,
          Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT),
          "create it (compacted) or set topic.creation.enable=true");
    }

    /**
     * The dead letter topic: deleted by retention, never compacted (compaction would keep only
     * the last failure of each session).
     */
    public static TopicSpec deadLetters(String name, int partitions, short replicationFactor,
        long retentionMs) {
      return new TopicSpec(Kind.DEAD_LETTERS, name, partitions, replicationFactor, Map.of(
          TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
          TopicConfig.RETENTION_MS_CONFIG, Long.toString(retentionMs)),
          "create it (cleanup.policy=delete) or set topic.creation.enable=true");
    }

    /** The heartbeat topic: one partition, compacted and deleted after {@code retentionMs}. */
    public static TopicSpec heartbeat(String name, short replicationFactor, long retentionMs) {
      return new TopicSpec(Kind.HEARTBEAT, name, 1, replicationFactor, Map.of(
          TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT + ","
              + TopicConfig.CLEANUP_POLICY_DELETE,
          TopicConfig.RETENTION_MS_CONFIG, Long.toString(retentionMs),
          TopicConfig.SEGMENT_MS_CONFIG, Long.toString(retentionMs)),
          "create it (one partition, cleanup.policy=compact,delete), set"
              + " topic.creation.enable=true, or turn heartbeats off with heartbeat.interval.ms=0");
    }
  }

  /**
   * Ensures {@code topic} exists (created compacted when {@code create}); returns a warning
   * text when it exists but is not compacted.
   */
  public static Optional<String> ensure(Map<String, Object> adminProps, String topic,
      boolean create, int partitions, short replicationFactor, long timeoutMs)
      throws TopicProblem, InterruptedException {
    return ensure(adminProps, TopicSpec.state(topic, partitions, replicationFactor), create,
        timeoutMs);
  }

  /**
   * Ensures the heartbeat topic exists: created (when allowed) with one partition, compacted
   * so that a new consumer finds each bridge's latest heartbeat, and deleting after
   * {@code retentionMs} so that a bridge gone for longer leaves no heartbeat to trust.
   */
  public static void ensureHeartbeatTopic(Map<String, Object> adminProps, String topic,
      boolean create, short replicationFactor, long retentionMs, long timeoutMs)
      throws TopicProblem, InterruptedException {
    ensure(adminProps, TopicSpec.heartbeat(topic, replicationFactor, retentionMs), create,
        timeoutMs);
  }

  /**
   * Ensures the topic of {@code spec} exists, creating it as specified when {@code create};
   * returns a warning text when it exists with another cleanup policy than the spec's.
   */
  public static Optional<String> ensure(Map<String, Object> adminProps, TopicSpec spec,
      boolean create, long timeoutMs) throws TopicProblem, InterruptedException {
    String topic = spec.name();
    String kind = spec.kind().label;
    Admin admin = Admin.create(withTimeout(adminProps, timeoutMs));
    try {
      Set<String> names = admin.listTopics().names().get(timeoutMs, TimeUnit.MILLISECONDS);
      if (!names.contains(topic)) {
        if (!create) {
          throw new TopicProblem(kind + " '" + topic + "' does not exist: "
              + spec.whenMissing(), null);
        }
        short rf = spec.replicationFactor();
        NewTopic nt = new NewTopic(topic, Optional.of(spec.partitions()),
            rf == -1 ? Optional.empty() : Optional.of(rf)).configs(spec.configs());
        try {
          admin.createTopics(List.of(nt)).all().get(timeoutMs, TimeUnit.MILLISECONDS);
          log.info("created {} {} ({} partitions, {})", kind, topic, spec.partitions(),
              spec.configs());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
        return Optional.empty();
      }
      if (spec.kind() == Kind.HEARTBEAT) {
        return Optional.empty();
      }
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Config config = admin.describeConfigs(List.of(resource)).all()
          .get(timeoutMs, TimeUnit.MILLISECONDS).get(resource);
      ConfigEntry policy = config.get(TopicConfig.CLEANUP_POLICY_CONFIG);
      boolean compacted = policy != null
          && policy.value().contains(TopicConfig.CLEANUP_POLICY_COMPACT);
      if (spec.kind() == Kind.STATE && !compacted) {
        return Optional.of("topic '" + topic + "' has cleanup.policy="
            + (policy == null ? "?" : policy.value()) + ", not compact: old states of every"
            + " session are kept until retention deletes them, and a new consumer may miss a"
            + " session's latest state once it is older than retention");
      }
      if (spec.kind() == Kind.DEAD_LETTERS && compacted) {
        return Optional.of("dead letter topic '" + topic + "' has cleanup.policy="
            + policy.value() + ": compaction keeps only the last dead letter of each session;"
            + " use cleanup.policy=delete");
      }
      return Optional.empty();
    } catch (ExecutionException e) {
      throw new TopicProblem("cannot check " + kind + " '" + topic + "' on"
          + " kafka.bootstrap.servers: " + e.getCause(), e.getCause(),
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
