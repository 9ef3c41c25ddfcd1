package io.pgbridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The settings as logged at start ({@link BridgeConfig#describe()}) show no secret. */
class BridgeConfigSecretsTest {

  private static final String SECRET = "S3cret-in-url-41f";

  private static BridgeConfig config(Map<String, String> extra) {
    Map<String, String> m = new java.util.HashMap<>(Map.of(
        "database.url", "jdbc:postgresql://db:5432/app",
        "kafka.bootstrap.servers", "kafka:9092"));
    m.putAll(extra);
    return ConfigLoader.fromMap(m);
  }

  @Test
  void passwordSettingIsHidden() {
    BridgeConfig c = config(Map.of("database.password", SECRET,
        "kafka.sasl.jaas.config", "x required password=\"" + SECRET + "\";"));
    assertThat(c.describe().toString()).doesNotContain(SECRET);
    assertThat(c.toString()).doesNotContain(SECRET);
  }

  @Test
  void passwordCarriedInTheDatabaseUrlIsHidden() {
    BridgeConfig c = config(Map.of("database.url",
        "jdbc:postgresql://db:5432/app?user=app&password=" + SECRET + "&ssl=true"));
    assertThat(c.describe().toString()).doesNotContain(SECRET);
    assertThat(c.describe().get("database.url")).contains("db:5432/app").contains("ssl=true");
    assertThat(c.databaseUrl()).contains(SECRET);
  }
}
