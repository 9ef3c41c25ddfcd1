package io.pgbridge.config;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * Validation and quoting of SQL identifiers that come from configuration (schema, table,
 * channel). Only plain identifiers are accepted: a letter or underscore, then letters, digits,
 * underscores or dollar signs, at most 63 bytes. Accepted names are still always quoted where
 * they enter SQL, so a reserved word or upper-case name works as written.
 */
public final class Identifiers {

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*");
  private static final int MAX_BYTES = 63;

  private Identifiers() {}

  /** The reason {@code name} is not a valid identifier, or null when it is. */
  public static String problem(String name) {
    if (name == null || name.isEmpty()) {
      return "must not be empty";
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      return "is longer than " + MAX_BYTES + " bytes";
    }
    if (!IDENTIFIER.matcher(name).matches()) {
      return "must start with a letter or underscore and hold only letters, digits, '_' or '$'";
    }
    return null;
  }

  /** Double-quotes a validated identifier. */
  public static String quote(String name) {
    String problem = problem(name);
    if (problem != null) {
      throw new IllegalArgumentException("identifier '" + name + "' " + problem);
    }
    return '"' + name + '"';
  }

  /** {@code "schema"."table"} for two validated identifiers. */
  public static String qualified(String schema, String table) {
    return quote(schema) + '.' + quote(table);
  }

  /** A SQL string literal for a validated identifier (for pg_notify's channel argument). */
  public static String literal(String name) {
    quote(name);
    return '\'' + name + '\'';
  }

  static ConfigDef.Validator validator() {
    return new ConfigDef.Validator() {
      @Override
      public void ensureValid(String key, Object value) {
        String problem = problem((String) value);
        if (problem != null) {
          throw new ConfigException(key, value, "not a valid SQL identifier: it " + problem);
        }
      }

      @Override
      public String toString() {
        return "SQL identifier [A-Za-z_][A-Za-z0-9_$]*, at most 63 bytes";
      }
    };
  }
}
