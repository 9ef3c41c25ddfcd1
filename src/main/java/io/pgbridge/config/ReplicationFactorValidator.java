package io.pgbridge.config;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/** -1 (broker default) or a positive replication factor. */
final class ReplicationFactorValidator implements ConfigDef.Validator {

  @Override
  public void ensureValid(String name, Object value) {
    short rf = (Short) value;
    if (rf != -1 && rf < 1) {
      throw new ConfigException(name, value, "must be -1 (broker default) or at least 1");
    }
  }

  @Override
  public String toString() {
    return "-1 or [1,...]";
  }
}
