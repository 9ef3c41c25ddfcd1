package io.pgbridge.config;

import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * {@code wal.slot.name}: empty (the name derived from {@code bridge.id}) or a name PostgreSQL
 * accepts for a replication slot, lower-case letters, digits and underscores, at most 63.
 */
final class SlotNameValidator implements ConfigDef.Validator {

  static final Pattern LEGAL = Pattern.compile("[a-z0-9_]{1,63}");

  @Override
  public void ensureValid(String name, Object value) {
    String v = (String) value;
    if (v == null || (!v.isEmpty() && !LEGAL.matcher(v).matches())) {
      throw new ConfigException(name, value, "a replication slot name is 1-63 characters of"
          + " [a-z0-9_] (lower case); leave it empty for the name derived from bridge.id");
    }
  }

  @Override
  public String toString() {
    return "empty (derived from bridge.id) or [a-z0-9_]{1,63}";
  }
}
