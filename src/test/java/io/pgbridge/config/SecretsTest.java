package io.pgbridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SecretsTest {

    @ParameterizedTest
    @ValueSource(strings = {"database.password", "kafka.sasl.jaas.config", "kafka.ssl.key.password",
        "kafka.ssl.keystore.password", "kafka.ssl.truststore.password", "kafka.ssl.keystore.key",
        "kafka.sasl.oauthbearer.client.credentials.client.secret", "KAFKA.SSL.KEY.PASSWORD",
        "kafka.sasl.login.token", "kafka.sasl.oauthbearer.assertion.private.key.passphrase"})
    void recognisesSecretKeys(String key) {
        assertThat(Secrets.looksSecret(key)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"database.url", "database.user", "kafka.bootstrap.servers", "topic",
        "kafka.security.protocol", "kafka.sasl.mechanism", "kafka.ssl.keystore.location",
        "debounce.ms"})
    void leavesOrdinaryKeysVisible(String key) {
        assertThat(Secrets.looksSecret(key)).isFalse();
    }

    @Test
    void everyPasswordTheKafkaProducerDeclaresIsSecretUnderTheKafkaPrefix() {
        ProducerConfig.configDef().configKeys().values().stream()
                .filter(k -> k.type == ConfigDef.Type.PASSWORD)
                .forEach(k -> assertThat(Secrets.looksSecret("kafka." + k.name)).as(k.name).isTrue());
    }

    @Test
    void describeHidesThePrivateKeyPassphrase() {
        BridgeConfig c = ConfigLoader.fromMap(Map.of("database.url", "jdbc:postgresql://h/db",
                "kafka.bootstrap.servers", "b:9092",
                "kafka.sasl.oauthbearer.assertion.private.key.passphrase", "hunter2"));
        assertThat(c.toString()).doesNotContain("hunter2");
    }

    @Test
    void masksPasswordParameterOfAUrl() {
        assertThat(Secrets.maskUrl("jdbc:postgresql://h:5432/db?user=u&password=hunter2&ssl=true"))
                .isEqualTo("jdbc:postgresql://h:5432/db?user=u&password=[hidden]&ssl=true");
        assertThat(Secrets.maskUrl("jdbc:postgresql://h/db?PassWord=hunter2"))
                .isEqualTo("jdbc:postgresql://h/db?PassWord=[hidden]");
        assertThat(Secrets.maskUrl("jdbc:postgresql://h/db?password=a;password=b"))
                .doesNotContain("a;").doesNotContain("=b");
    }

    @Test
    void masksPasswordInUserInfo() {
        assertThat(Secrets.maskUrl("postgresql://user:hunter2@h:5432/db"))
                .isEqualTo("postgresql://user:[hidden]@h:5432/db");
    }

    @Test
    void leavesUrlsWithoutPasswordAlone() {
        String url = "jdbc:postgresql://h:5432/db?user=u&sslmode=require";
        assertThat(Secrets.maskUrl(url)).isEqualTo(url);
        assertThat(Secrets.maskUrl("jdbc:postgresql://[::1]:5432/db")).isEqualTo("jdbc:postgresql://[::1]:5432/db");
        assertThat(Secrets.maskUrl(null)).isNull();
    }
}
