package io.pgbridge.config;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/** Accepts PostgreSQL JDBC URLs; the error never echoes the URL, which may hold a password. */
final class JdbcUrlValidator implements ConfigDef.Validator {

  @Override
  public void ensureValid(String name, Object value) {
    String url = (String) value;
    if (url == null) {
      return; // absent: ConfigDef already reports the missing required setting, once
    }
    if (url.isBlank()) {
      throw new ConfigException(name + " must be set, e.g. jdbc:postgresql://host:5432/db");
    }
    if (!url.startsWith("jdbc:postgresql:")) {
      throw new ConfigException(name, Secrets.maskUrl(url),
          "must be a PostgreSQL JDBC URL starting with jdbc:postgresql:");
    }
  }

  @Override
  public String toString() {
    return "jdbc:postgresql://host[:port]/database[?options]";
  }
}
