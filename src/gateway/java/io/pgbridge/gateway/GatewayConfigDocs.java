package io.pgbridge.gateway;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.ConfigKey;

/**
 * Documentation generated from the {@link GatewayConfig} declarations: the README's gateway
 * table ({@code pgbridge gateway config-docs}) and the commented sample file
 * {@code config/gateway.properties}.
 */
public final class GatewayConfigDocs {

  private GatewayConfigDocs() {}

  public static String markdown() {
    StringBuilder out = new StringBuilder();
    out.append("| key | type | default | valid values | importance | description |\n");
    out.append("|---|---|---|---|---|---|\n");
    for (ConfigKey key : keys()) {
      out.append("| `").append(key.name).append("` | ")
          .append(key.type.name().toLowerCase()).append(" | ")
          .append(defaultText(key)).append(" | ")
          .append(key.validator == null ? "" : escape(key.validator.toString())).append(" | ")
          .append(key.importance.name().toLowerCase()).append(" | ")
          .append(escape(key.documentation)).append(" |\n");
    }
    out.append("\nAny other `kafka.*` key is passed to the Kafka consumer with the prefix"
        + " removed. Every key can be set by an environment variable: `PGBRIDGE_GATEWAY_` + the"
        + " key in upper case with dots as underscores (`PGBRIDGE_GATEWAY_HTTP_PORT`).\n");
    return out.toString();
  }

  public static String properties() {
    StringBuilder out = new StringBuilder();
    String group = null;
    for (ConfigKey key : keys()) {
      if (!key.group.equals(group)) {
        group = key.group;
        out.append("\n# ---- ").append(group).append(" ----\n");
      }
      out.append('\n');
      for (String line : wrap(key.documentation, 90)) {
        out.append("# ").append(line).append('\n');
      }
      boolean required = !key.hasDefault();
      out.append(required ? "" : "#").append(key.name).append('=')
          .append(required ? "localhost:9092" : valueText(key.defaultValue)).append('\n');
    }
    return out.toString();
  }

  private static List<ConfigKey> keys() {
    ConfigDef def = GatewayConfig.configDef();
    return def.configKeys().values().stream()
        .sorted((a, b) -> a.group.equals(b.group) ? Integer.compare(a.orderInGroup, b.orderInGroup)
            : Integer.compare(def.groups().indexOf(a.group), def.groups().indexOf(b.group)))
        .toList();
  }

  private static String defaultText(ConfigKey key) {
    if (!key.hasDefault()) {
      return "(required)";
    }
    String v = valueText(key.defaultValue);
    return v.isEmpty() ? "\"\"" : "`" + v + "`";
  }

  private static String valueText(Object v) {
    if (v instanceof List<?> list) {
      return String.join(",", list.stream().map(String::valueOf).toList());
    }
    return v == null ? "" : String.valueOf(v);
  }

  private static String escape(String s) {
    return s.replace("|", "\\|");
  }

  private static List<String> wrap(String text, int width) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      if (line.length() + word.length() + 1 > width && line.length() > 0) {
        lines.add(line.toString());
        line.setLength(0);
      }
      if (line.length() > 0) {
        line.append(' ');
      }
      line.append(word);
    }
    if (line.length() > 0) {
      lines.add(line.toString());
    }
    return lines;
  }
}
