package io.pgbridge.config;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;

/** Recognises settings and text that must never be printed. */
public final class Secrets {

  private static final Pattern SECRET_KEY =
      Pattern.compile(
          ".*(password|passphrase|secret|sasl\\.jaas\\.config|credentials?|token|\\.key$).*");
  /** What the Kafka client itself declares as a password, whatever the name. */
  private static final Set<String> KAFKA_PASSWORDS = ProducerConfig.configDef().configKeys()
      .values().stream().filter(k -> k.type == ConfigDef.Type.PASSWORD).map(k -> k.name)
      .collect(Collectors.toUnmodifiableSet());
  private static final Pattern URL_PASSWORD =
      Pattern.compile("(?i)(password=)[^&;\\s]*");
  private static final Pattern URL_USERINFO = Pattern.compile("(//[^/@:\\s]+:)[^/@\\s]*@");

  private Secrets() {}

  /** True for keys whose values are secrets (passwords, JAAS configs, key material). */
  public static boolean looksSecret(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return SECRET_KEY.matcher(k).matches()
        || (k.startsWith(BridgeConfig.KAFKA_PREFIX)
            && KAFKA_PASSWORDS.contains(k.substring(BridgeConfig.KAFKA_PREFIX.length())));
  }

  /** A JDBC or other URL with any password it carries replaced by {@code [hidden]}. */
  public static String maskUrl(String url) {
    if (url == null) {
      return null;
    }
    String masked = URL_PASSWORD.matcher(url).replaceAll("$1[hidden]");
    return URL_USERINFO.matcher(masked).replaceAll("$1[hidden]@");
  }
}
