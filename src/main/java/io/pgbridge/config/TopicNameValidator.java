package io.pgbridge.config;

import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/** Kafka's own rule for topic names: [a-zA-Z0-9._-], 1 to 249 characters. */
final class TopicNameValidator implements ConfigDef.Validator {

  private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
  private final boolean emptyAllowed;

  TopicNameValidator(boolean emptyAllowed) {
    this.emptyAllowed = emptyAllowed;
  }

  @Override
  public void ensureValid(String name, Object value) {
    String topic = (String) value;
    if (emptyAllowed && (topic == null || topic.isEmpty())) {
      return;
    }
    if (topic == null || !LEGAL.matcher(topic).matches() || topic.equals(".")
        || topic.equals("..")) {
      throw new ConfigException(name, value,
          "not a legal Kafka topic name (1-249 of [a-zA-Z0-9._-], not '.' or '..')");
    }
  }

  @Override
  public String toString() {
    return emptyAllowed ? "empty, or a Kafka topic name" : "Kafka topic name";
  }
}
