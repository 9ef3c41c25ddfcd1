package io.pgbridge.publish;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Builds the record sent to the dead letter topic for a session that cannot be published, the
 * way Kafka Connect's dead letter queue reporter does: the record as it would have been
 * (key, value when it can be kept, the record's own headers) and, with
 * {@code errors.deadletterqueue.context.headers.enable}, context headers named like Connect's
 * {@code __connect.errors.*} under pgbridge's own header prefix ({@link #CONTEXT_PREFIX}).
 * Immutable and thread-safe; called from worker and producer threads.
 */
public final class DeadLetters {

  /** Prefix of the context headers; Connect's is {@code __connect.errors.}. */
  public static final String CONTEXT_PREFIX = "pgbridge.errors.";
  /** The topic the record was meant for. */
  public static final String HEADER_TOPIC = CONTEXT_PREFIX + "topic";
  /** bridge.id, Connect's connector.name. */
  public static final String HEADER_BRIDGE_ID = CONTEXT_PREFIX + "bridge.id";
  /** The instance that failed, Connect's task.id. */
  public static final String HEADER_INSTANCE = CONTEXT_PREFIX + "instance";
  /** {@link Stage} name. */
  public static final String HEADER_STAGE = CONTEXT_PREFIX + "stage";
  /** The class executing the stage. */
  public static final String HEADER_CLASS_NAME = CONTEXT_PREFIX + "class.name";
  public static final String HEADER_EXCEPTION_CLASS = CONTEXT_PREFIX + "exception.class.name";
  public static final String HEADER_EXCEPTION_MESSAGE = CONTEXT_PREFIX + "exception.message";
  public static final String HEADER_EXCEPTION_STACKTRACE =
      CONTEXT_PREFIX + "exception.stacktrace";
  /** Size in bytes of the value that failed (the value itself is dropped when too large). */
  public static final String HEADER_VALUE_SIZE = CONTEXT_PREFIX + "value.size";

  /** Where the record failed, with the names Connect gives these stages. */
  public enum Stage {
    /** Building the record value (the envelope around raw_state). */
    VALUE_CONVERTER(RecordBuilder.class.getName()),
    /** Sending it: the producer or the broker refused it. */
    KAFKA_PRODUCE("org.apache.kafka.clients.producer.KafkaProducer");

    private final String executingClass;

    Stage(String executingClass) {
      this.executingClass = executingClass;
    }
  }

  private final String topic;
  private final String stateTopic;
  private final String bridgeId;
  private final String instance;
  private final boolean contextHeaders;

  public DeadLetters(String topic, String stateTopic, String bridgeId, String instance,
      boolean contextHeaders) {
    this.topic = topic;
    this.stateTopic = stateTopic;
    this.bridgeId = bridgeId;
    this.instance = instance;
    this.contextHeaders = contextHeaders;
  }

  public String topic() {
    return topic;
  }

  /**
   * The dead letter for {@code session}: {@code value} is kept unless the record was too
   * large (then null, its size in a context header), {@code recordHeaders} are the headers the
   * record would have carried.
   */
  public ProducerRecord<byte[], byte[]> letter(UUID session, byte[] value,
      List<StateRecord.Header> recordHeaders, Stage stage, Exception error, boolean dropValue) {
    RecordHeaders headers = new RecordHeaders();
    for (StateRecord.Header h : recordHeaders) {
      headers.add(h.key(), h.value());
    }
    if (contextHeaders) {
      add(headers, HEADER_TOPIC, stateTopic);
      add(headers, HEADER_BRIDGE_ID, bridgeId);
      add(headers, HEADER_INSTANCE, instance);
      add(headers, HEADER_STAGE, stage.name());
      add(headers, HEADER_CLASS_NAME, stage.executingClass);
      add(headers, HEADER_EXCEPTION_CLASS, error.getClass().getName());
      add(headers, HEADER_EXCEPTION_MESSAGE, String.valueOf(error.getMessage()));
      add(headers, HEADER_EXCEPTION_STACKTRACE, stackTrace(error));
      if (value != null) {
        add(headers, HEADER_VALUE_SIZE, Integer.toString(value.length));
      }
    }
    return new ProducerRecord<>(topic, null, RecordBuilder.key(session),
        dropValue ? null : value, headers);
  }

  private static void add(RecordHeaders headers, String key, String value) {
    headers.add(key, value.getBytes(StandardCharsets.UTF_8));
  }

  static String stackTrace(Throwable error) {
    StringWriter out = new StringWriter();
    try (PrintWriter w = new PrintWriter(out)) {
      error.printStackTrace(w);
    }
    return out.toString();
  }
}
