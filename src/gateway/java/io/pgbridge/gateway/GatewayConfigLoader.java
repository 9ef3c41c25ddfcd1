package io.pgbridge.gateway;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Builds a {@link GatewayConfig} from a properties file overlaid with environment variables
 * ({@code PGBRIDGE_GATEWAY_HTTP_PORT} sets {@code http.port}), the way the bridge's
 * configuration loads. Every problem is collected and reported at once in a
 * {@link GatewayConfigException} before anything connects; values of secret settings never
 * appear in a message. Called once, from the command's thread.
 */
public final class GatewayConfigLoader {

  public static final String ENV_PREFIX = "PGBRIDGE_GATEWAY_";

  private GatewayConfigLoader() {}

  public static GatewayConfig load(Path file, Map<String, String> env) {
    Map<String, String> values = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    if (file != null) {
      readFile(file, values, problems);
    }
    values.putAll(fromEnvironment(env));
    return build(values, problems);
  }

  public static GatewayConfig fromMap(Map<String, String> values) {
    return build(new LinkedHashMap<>(values), new ArrayList<>());
  }

  static Map<String, String> fromEnvironment(Map<String, String> env) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : env.entrySet()) {
      String name = e.getKey();
      if (!name.startsWith(ENV_PREFIX) || name.length() == ENV_PREFIX.length()) {
        continue;
      }
      String key = name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
      if (GatewayConfig.isKnownKey(key)) {
        out.put(key, e.getValue());
      }
    }
    return out;
  }

  /** {@code PGBRIDGE_GATEWAY_*} variables that name no setting (typos), to warn about. */
  public static List<String> unknownVariables(Map<String, String> env) {
    List<String> out = new ArrayList<>();
    for (String name : env.keySet()) {
      if (name.startsWith(ENV_PREFIX) && !name.equals(ENV_PREFIX + "CONFIG")
          && !GatewayConfig.isKnownKey(name.substring(ENV_PREFIX.length())
              .toLowerCase(Locale.ROOT).replace('_', '.'))) {
        out.add(name);
      }
    }
    out.sort(null);
    return out;
  }

  private static void readFile(Path file, Map<String, String> values, List<String> problems) {
    Properties props = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      props.load(reader);
    } catch (NoSuchFileException e) {
      problems.add("configuration file " + file + " does not exist");
      return;
    } catch (IOException | IllegalArgumentException e) {
      problems.add("cannot read configuration file " + file + ": " + e.getMessage());
      return;
    }
    for (String key : props.stringPropertyNames()) {
      values.put(key, props.getProperty(key).strip());
    }
  }

  private static GatewayConfig build(Map<String, String> values, List<String> problems) {
    for (String key : values.keySet()) {
      if (!GatewayConfig.isKnownKey(key)) {
        problems.add(key + ": unknown setting (see 'pgbridge gateway config-docs')");
      }
    }
    Map<String, Object> parsed = new LinkedHashMap<>();
    for (ConfigValue value : GatewayConfig.configDef().validate(values)) {
      if (!value.errorMessages().isEmpty()) {
        String message = value.errorMessages().get(0);
        problems.add(message.startsWith(value.name()) ? message : value.name() + ": " + message);
      } else {
        parsed.put(value.name(), value.value());
      }
    }
    String mode = (String) parsed.get(GatewayConfig.AUTH_MODE_CONFIG);
    if ("jwt".equals(mode)) {
      Object file = parsed.get(GatewayConfig.AUTH_JWT_KEY_FILE_CONFIG);
      if (file == null || file.toString().isBlank()) {
        problems.add(GatewayConfig.AUTH_JWT_KEY_FILE_CONFIG + ": required with auth.mode=jwt"
            + " (or set auth.mode=none to let anyone watch every project)");
      } else if (!Files.isReadable(Path.of(file.toString()))) {
        problems.add(GatewayConfig.AUTH_JWT_KEY_FILE_CONFIG + ": cannot read " + file);
      }
    }
    if ("custom".equals(mode)) {
      Object cls = parsed.get(GatewayConfig.AUTH_CUSTOM_CLASS_CONFIG);
      if (cls == null || cls.toString().isBlank()) {
        problems.add(GatewayConfig.AUTH_CUSTOM_CLASS_CONFIG + ": required with auth.mode=custom");
      }
    }
    checkConsumerSettings(values, problems);
    if (!problems.isEmpty()) {
      throw new GatewayConfigException(problems);
    }
    try {
      return new GatewayConfig(values);
    } catch (ConfigException e) {
      throw new GatewayConfigException(List.of(e.getMessage()));
    }
  }

  private static void checkConsumerSettings(Map<String, String> values, List<String> problems) {
    Map<String, String> consumer = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : values.entrySet()) {
      if (e.getKey().startsWith(GatewayConfig.KAFKA_PREFIX)) {
        consumer.put(e.getKey().substring(GatewayConfig.KAFKA_PREFIX.length()), e.getValue());
      }
    }
    consumer.putIfAbsent("bootstrap.servers", "localhost:9092");
    consumer.put("key.deserializer", ByteArrayDeserializer.class.getName());
    consumer.put("value.deserializer", ByteArrayDeserializer.class.getName());
    Map<String, ConfigDef.ConfigKey> keys = ConsumerConfig.configDef().configKeys();
    for (ConfigValue value : ConsumerConfig.configDef().validate(consumer)) {
      if (!value.errorMessages().isEmpty() && consumer.containsKey(value.name())
          && keys.containsKey(value.name())) {
        boolean secret = keys.get(value.name()).type == ConfigDef.Type.PASSWORD;
        problems.add(GatewayConfig.KAFKA_PREFIX + value.name() + ": "
            + (secret ? "invalid value" : value.errorMessages().get(0)));
      }
    }
  }
}
