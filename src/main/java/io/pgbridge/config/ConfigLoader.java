package io.pgbridge.config;

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
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.config.ConfigValue;

/**
 * Builds a {@link BridgeConfig} from a properties file overlaid with environment variables
 * ({@code PGBRIDGE_DEBOUNCE_MS} sets {@code debounce.ms}; {@code PGBRIDGE_KAFKA_SASL_JAAS_CONFIG}
 * sets {@code kafka.sasl.jaas.config}). Every problem is collected and reported at once in a
 * {@link ConfigProblems}; nothing is connected here. Called once, from the CLI thread.
 */
public final class ConfigLoader {

  public static final String ENV_PREFIX = "PGBRIDGE_";

  private ConfigLoader() {}

  /** Reads {@code file} (may be null for environment only) and applies {@code env}. */
  public static BridgeConfig load(Path file, Map<String, String> env) {
    Map<String, String> values = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    if (file != null) {
      readFile(file, values, problems);
    }
    values.putAll(fromEnvironment(env));
    return build(values, problems);
  }

  /** Builds from explicit key/value pairs (tests, the demo, embedding). */
  public static BridgeConfig fromMap(Map<String, String> values) {
    return build(new LinkedHashMap<>(values), new ArrayList<>());
  }

  /** {@code PGBRIDGE_*} variables that are read outside the configuration. */
  private static final List<String> OTHER_VARIABLES =
      List.of("PGBRIDGE_CONFIG", "PGBRIDGE_LOG_LEVEL");

  /**
   * {@code PGBRIDGE_*} variables that name no setting (a typo such as
   * {@code PGBRIDGE_DEBOUNCE_MSS}): they are ignored, so the caller should say so. Test fixture
   * variables ({@code PGBRIDGE_TEST_*}) are not settings either and are left out.
   */
  public static List<String> unknownVariables(Map<String, String> env) {
    List<String> out = new ArrayList<>();
    for (String name : env.keySet()) {
      if (!name.startsWith(ENV_PREFIX) || OTHER_VARIABLES.contains(name)
          || name.startsWith(ENV_PREFIX + "TEST_")) {
        continue;
      }
      String key = name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
      if (!BridgeConfig.isKnownKey(key)) {
        out.add(name);
      }
    }
    out.sort(null);
    return out;
  }

  /** The config keys that {@code env} sets, with their values. */
  static Map<String, String> fromEnvironment(Map<String, String> env) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : env.entrySet()) {
      String name = e.getKey();
      if (!name.startsWith(ENV_PREFIX) || name.length() == ENV_PREFIX.length()) {
        continue;
      }
      String key = name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
      if (BridgeConfig.isKnownKey(key)) {
        out.put(key, e.getValue());
      }
    }
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

  private static BridgeConfig build(Map<String, String> values, List<String> problems) {
    for (String key : values.keySet()) {
      if (!BridgeConfig.isKnownKey(key)) {
        problems.add(key + ": unknown setting (see 'pgbridge config-docs')");
      }
    }
    Map<String, String> declared = new LinkedHashMap<>(values);
    Map<String, Object> parsed = new LinkedHashMap<>();
    for (ConfigValue value : BridgeConfig.configDef().validate(declared)) {
      // Kafka runs the validator again with null after a parse error or a missing value; that
      // second message ("Invalid value null") only repeats the first, less clearly.
      if (!value.errorMessages().isEmpty()) {
        String message = value.errorMessages().get(0);
        problems.add(message.startsWith(value.name()) ? message : value.name() + ": " + message);
      } else {
        parsed.put(value.name(), value.value());
      }
    }
    if (parsed.get(BridgeConfig.DEBOUNCE_MS_CONFIG) instanceof Long debounce
        && parsed.get(BridgeConfig.DEBOUNCE_MAX_MS_CONFIG) instanceof Long ceiling) {
      String problem = BridgeConfig.debounceProblem(debounce, ceiling);
      if (problem != null) {
        problems.add(problem);
      }
    }
    String settle = BridgeConfig.settleProblem(parsed, declared);
    if (settle != null) {
      problems.add(settle);
    }
    if (parsed.get(BridgeConfig.TOPIC_CONFIG) instanceof String topic
        && parsed.get(BridgeConfig.HEARTBEAT_TOPIC_CONFIG) instanceof String heartbeatTopic) {
      String problem = BridgeConfig.heartbeatTopicProblem(topic, heartbeatTopic);
      if (problem != null) {
        problems.add(problem);
      }
    }
    checkProducerSettings(declared, problems);
    if (!problems.isEmpty()) {
      throw new ConfigProblems(problems);
    }
    try {
      return new BridgeConfig(declared);
    } catch (ConfigException e) {
      throw new ConfigProblems(List.of(e.getMessage()));
    }
  }

  /**
   * Pass-through {@code kafka.*} values are checked by the Kafka producer's own definitions
   * now, with the rest, instead of failing in the producer's constructor after the bridge has
   * connected to the database.
   */
  private static void checkProducerSettings(Map<String, String> values, List<String> problems) {
    Map<String, String> producer = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : values.entrySet()) {
      if (e.getKey().startsWith(BridgeConfig.KAFKA_PREFIX)) {
        producer.put(e.getKey().substring(BridgeConfig.KAFKA_PREFIX.length()), e.getValue());
      }
    }
    producer.putIfAbsent("bootstrap.servers", "localhost:9092");
    producer.put("key.serializer", ByteArraySerializer.class.getName());
    producer.put("value.serializer", ByteArraySerializer.class.getName());
    Map<String, ConfigDef.ConfigKey> keys = ProducerConfig.configDef().configKeys();
    for (ConfigValue value : ProducerConfig.configDef().validate(producer)) {
      if (!value.errorMessages().isEmpty() && producer.containsKey(value.name())
          && keys.containsKey(value.name())) {
        boolean secret = keys.get(value.name()).type == ConfigDef.Type.PASSWORD;
        problems.add(BridgeConfig.KAFKA_PREFIX + value.name() + ": "
            + (secret ? "invalid value" : value.errorMessages().get(0)));
      }
    }
  }
}
