package io.pgbridge.config;

import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/** A short name safe in SQL text, Kafka client ids and metric tags. */
final class BridgeIdValidator implements ConfigDef.Validator {

  private static final Pattern LEGAL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

  @Override
  public void ensureValid(String name, Object value) {
    if (value == null || !LEGAL.matcher((String) value).matches()) {
      throw new ConfigException(name, value,
          "must be 1-63 characters of [A-Za-z0-9._-], starting with a letter or digit");
    }
  }

  @Override
  public String toString() {
    return "[A-Za-z0-9][A-Za-z0-9._-]{0,62}";
  }
}
