package io.pgbridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.pgbridge.config.BridgeConfig.ValueFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    private static final String URL = "jdbc:postgresql://db:5432/app";

    @TempDir
    Path dir;

    private Path file(String... lines) throws IOException {
        Path f = dir.resolve("pgbridge.properties");
        Files.write(f, List.of(lines), StandardCharsets.UTF_8);
        return f;
    }

    private static Map<String, String> minimal() {
        Map<String, String> m = new HashMap<>();
        m.put("database.url", URL);
        m.put("kafka.bootstrap.servers", "broker:9092");
        return m;
    }

    private static Map<String, String> minimalWith(String... keyValues) {
        Map<String, String> m = minimal();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    private static ConfigProblems problemsOf(Map<String, String> values) {
        return catchThrowableOfType(ConfigProblems.class, () -> ConfigLoader.fromMap(values));
    }

    // ---- defaults and sources ----

    @Test
    void minimalConfigLoadsWithTheDocumentedDefaults() throws IOException {
        BridgeConfig c = ConfigLoader.load(
                file("database.url=" + URL, "kafka.bootstrap.servers=broker:9092"), Map.of());
        assertThat(c.databaseUrl()).isEqualTo(URL);
        assertThat(c.debounceMs()).isEqualTo(100);
        assertThat(c.debounceMaxMs()).isEqualTo(1000);
        assertThat(c.topic()).isEqualTo("generation-state");
        assertThat(c.channel()).isEqualTo("generation_updates");
        assertThat(c.valueFormat()).isEqualTo(ValueFormat.ENVELOPE);
        assertThat(c.catchupInitialAll()).isTrue();
        assertThat(c.httpPort()).isEqualTo(8080);
        assertThat(c.sessionsTable()).isEqualTo("generation_sessions");
        assertThat(c.schema()).isEqualTo("public");
        assertThat(c.databasePassword().value()).isEmpty();
    }

    @Test
    void environmentOverridesTheFile() throws IOException {
        Path f = file("database.url=" + URL, "kafka.bootstrap.servers=broker:9092",
                "debounce.ms=50", "topic=from-file");
        BridgeConfig c = ConfigLoader.load(f, Map.of("PGBRIDGE_DEBOUNCE_MS", "5"));
        assertThat(c.debounceMs()).isEqualTo(5);
        assertThat(c.topic()).as("not overridden").isEqualTo("from-file");
    }

    @Test
    void environmentAloneIsACompleteSource() {
        BridgeConfig c = ConfigLoader.load(null, Map.of("PGBRIDGE_DATABASE_URL", URL,
                "PGBRIDGE_KAFKA_BOOTSTRAP_SERVERS", "a:1,b:2", "PGBRIDGE_DEBOUNCE_MAX_MS", "2000",
                "PGBRIDGE_VALUE_FORMAT", "raw"));
        assertThat(c.debounceMaxMs()).isEqualTo(2000);
        assertThat(c.valueFormat()).isEqualTo(ValueFormat.RAW);
        assertThat(c.kafkaClientProperties()).containsEntry("bootstrap.servers", "a:1,b:2");
    }

    @Test
    void environmentPassesKafkaSettingsThroughToTheClient() {
        String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " username=\"u\" password=\"hunter2\";";
        BridgeConfig c = ConfigLoader.load(null, Map.of("PGBRIDGE_DATABASE_URL", URL,
                "PGBRIDGE_KAFKA_BOOTSTRAP_SERVERS", "broker:9092",
                "PGBRIDGE_KAFKA_SASL_JAAS_CONFIG", jaas,
                "PGBRIDGE_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"));
        assertThat(c.kafkaClientProperties())
                .containsEntry("sasl.jaas.config", jaas)
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("bootstrap.servers", "broker:9092")
                .doesNotContainKey("kafka.sasl.jaas.config");
        assertThat(c.describe()).containsKey("kafka.sasl.jaas.config");
        assertThat(c.describe().toString()).doesNotContain("hunter2");
    }

    @Test
    void ignoresEnvironmentVariablesThatNameNoSetting() {
        Map<String, String> env = new HashMap<>(Map.of("PGBRIDGE_DATABASE_URL", URL,
                "PGBRIDGE_KAFKA_BOOTSTRAP_SERVERS", "broker:9092", "PGBRIDGE_CONFIG", "/x",
                "PGBRIDGE_", "x", "PATH", "/bin", "DEBOUNCE_MS", "x"));
        assertThat(ConfigLoader.load(null, env).debounceMs()).isEqualTo(100);
    }

    @Test
    void fileValuesAreTrimmed() throws IOException {
        BridgeConfig c = ConfigLoader.load(file("database.url = " + URL + "  ",
                "kafka.bootstrap.servers=broker:9092", "debounce.ms = 7 \t"), Map.of());
        assertThat(c.debounceMs()).isEqualTo(7);
        assertThat(c.databaseUrl()).isEqualTo(URL);
    }

    @Test
    void kafkaKeysArePassedThroughWithoutPrefixAndOthersAreNot() {
        BridgeConfig c = ConfigLoader.fromMap(minimalWith("kafka.linger.ms", "5",
                "kafka.compression.type", "zstd"));
        assertThat(c.kafkaClientProperties()).containsOnlyKeys("bootstrap.servers", "linger.ms",
                "compression.type");
        assertThat(c.kafkaClientProperties()).containsEntry("linger.ms", "5");
    }

    @Test
    void catchupNoneAndRawFormatAreHonoured() {
        BridgeConfig c = ConfigLoader.fromMap(minimalWith("catchup.initial", "none",
                "value.format", "raw"));
        assertThat(c.catchupInitialAll()).isFalse();
        assertThat(c.valueFormat()).isEqualTo(ValueFormat.RAW);
    }

    // ---- problems ----

    @Test
    void reportsEveryProblemAtOnce() {
        Map<String, String> values = new HashMap<>(Map.of("kafka.bootstrap.servers", "broker:9092",
                "debounce.ms", "-1", "listen.channel", "bad name;", "debounce.msx", "5"));
        ConfigProblems p = problemsOf(values);
        assertThat(p.problems()).hasSize(4);
        assertThat(p.problems()).anySatisfy(m -> assertThat(m).startsWith("database.url")
                .contains("Missing required"));
        assertThat(p.problems()).anySatisfy(m -> assertThat(m).contains("debounce.ms")
                .contains("-1"));
        assertThat(p.problems()).anySatisfy(m -> assertThat(m).contains("listen.channel")
                .contains("SQL identifier"));
        assertThat(p.problems()).anySatisfy(m -> assertThat(m).startsWith("debounce.msx")
                .contains("unknown setting"));
        assertThat(p.getMessage()).startsWith("4 configuration problem(s)");
        for (String m : p.problems()) {
            assertThat(p.getMessage()).contains(m);
        }
    }

    @Test
    void rejectsDebounceCeilingBelowDebounce() {
        ConfigProblems p = problemsOf(minimalWith("debounce.ms", "500", "debounce.max.ms", "100"));
        assertThat(p.problems()).singleElement().asString().contains("debounce.max.ms")
                .contains("debounce.ms");
    }

    @Test
    void rejectsATakeoverSettleThatComesBeforeTheOldLeadersLastDelivery() {
        ConfigProblems p = problemsOf(minimalWith("ha.takeover.settle.ms", "60000"));
        assertThat(p.problems()).singleElement().asString().contains("ha.takeover.settle.ms")
                .contains("kafka.delivery.timeout.ms (120000)");
        assertThat(problemsOf(minimalWith("ha.takeover.settle.ms", "5000",
                "kafka.delivery.timeout.ms", "5000")).problems()).hasSize(1);
        assertThat(ConfigLoader.fromMap(minimalWith("ha.takeover.settle.ms", "5000",
                "kafka.delivery.timeout.ms", "4000", "kafka.request.timeout.ms", "3000"))
                .haSettleMs()).isEqualTo(5000);
        assertThat(ConfigLoader.fromMap(minimalWith("ha.takeover.settle.ms", "0")).haSettleMs())
                .as("disabled").isZero();
        assertThat(ConfigLoader.fromMap(minimalWith("ha.takeover.settle.ms", "1000",
                "ha.enabled", "false")).haSettleMs()).as("no leader election").isEqualTo(1000);
    }

    @Test
    void acceptsDebounceCeilingEqualToDebounce() {
        assertThat(ConfigLoader.fromMap(minimalWith("debounce.ms", "500", "debounce.max.ms", "500"))
                .debounceMaxMs()).isEqualTo(500);
    }

    @Test
    void reportsDebounceCeilingBelowDebounceTogetherWithOtherProblems() {
        ConfigProblems p = problemsOf(minimalWith("debounce.ms", "500", "debounce.max.ms", "100",
                "no.such.key", "1", "value.format", "xml"));
        assertThat(p.problems()).hasSize(3);
        assertThat(p.problems()).anySatisfy(m -> assertThat(m).startsWith("debounce.max.ms"));
        assertThat(p.problems()).anySatisfy(m -> assertThat(m).startsWith("no.such.key"));
        assertThat(p.problems()).anySatisfy(m -> assertThat(m).contains("value.format"));
    }

    @Test
    void listsABadValueFormat() {
        ConfigProblems p = problemsOf(minimalWith("value.format", "xml"));
        assertThat(p.problems()).singleElement().asString().contains("value.format")
                .contains("xml").contains("envelope").contains("raw");
    }

    @Test
    void reportsAMissingConfigFileAlongWithWhatElseIsMissing() {
        Path missing = dir.resolve("nope.properties");
        ConfigProblems p = catchThrowableOfType(ConfigProblems.class,
                () -> ConfigLoader.load(missing, Map.of()));
        assertThat(p.problems()).anySatisfy(m -> assertThat(m).contains(missing.toString())
                .contains("does not exist"));
        assertThat(p.problems()).anySatisfy(m -> assertThat(m).startsWith("database.url"));
        assertThat(p.problems()).anySatisfy(m -> assertThat(m).startsWith("kafka.bootstrap.servers"));
    }

    @Test
    void rejectsWrongTypesAndOutOfRangeValues() {
        ConfigProblems p = problemsOf(minimalWith("debounce.ms", "soon", "http.port", "70000",
                "ha.enabled", "maybe", "topic", "no spaces allowed", "catchup.initial", "some",
                "kafka.bootstrap.servers", "localhost"));
        assertThat(p.problems()).hasSize(6);
        for (String key : List.of("debounce.ms", "http.port", "ha.enabled", "topic",
                "catchup.initial", "kafka.bootstrap.servers")) {
            assertThat(p.problems()).as(key).anySatisfy(m -> assertThat(m).contains(key));
        }
    }

    @Test
    void rejectsNonPostgresqlDatabaseUrl() {
        ConfigProblems p = problemsOf(minimalWith("database.url", "jdbc:mysql://h/db"));
        assertThat(p.problems()).singleElement().asString().contains("database.url")
                .contains("jdbc:postgresql:");
    }

    @Test
    void rejectsBlankDatabaseUrl() {
        ConfigProblems p = problemsOf(minimalWith("database.url", " "));
        assertThat(p.problems()).singleElement().asString().startsWith("database.url");
    }

    // ---- secrets ----

    @Test
    void passwordNeverAppearsInDescribeOrToString() {
        BridgeConfig c = ConfigLoader.fromMap(minimalWith("database.password", "hunter2",
                "kafka.ssl.key.password", "hunter2", "kafka.ssl.keystore.password", "hunter2",
                "kafka.sasl.jaas.config", "x password=\"hunter2\";"));
        assertThat(c.describe().toString()).doesNotContain("hunter2");
        assertThat(c.toString()).doesNotContain("hunter2");
        assertThat(c.describe()).containsKeys("database.password", "kafka.ssl.key.password",
                "kafka.sasl.jaas.config");
        assertThat(c.databasePassword().value()).isEqualTo("hunter2");
        assertThat(c.kafkaClientProperties()).containsEntry("ssl.key.password", "hunter2");
    }

    @Test
    void passwordInsideDatabaseUrlNeverAppearsInDescribeOrToString() {
        BridgeConfig c = ConfigLoader.fromMap(minimalWith("database.url",
                "jdbc:postgresql://h/db?user=u&password=hunter2&ssl=true"));
        assertThat(c.databaseUrl()).as("the driver still gets it").contains("hunter2");
        assertThat(c.describe().get("database.url")).doesNotContain("hunter2")
                .startsWith("jdbc:postgresql://h/db?user=u&password=").endsWith("&ssl=true");
        assertThat(c.toString()).doesNotContain("hunter2");
    }

    @Test
    void passwordNeverAppearsInProblems() {
        ConfigProblems p = problemsOf(minimalWith("database.password", "hunter2",
                "debounce.ms", "-1", "database.pasword", "hunter2",
                "kafka.sasl.jaas.config", "x password=\"hunter2\";"));
        assertThat(p.problems()).hasSize(2);
        assertThat(p.getMessage()).doesNotContain("hunter2");
        assertThat(p.problems()).allSatisfy(m -> assertThat(m).doesNotContain("hunter2"));
    }

    @Test
    void passwordInsideAFailingDatabaseUrlNeverAppearsInProblems() {
        for (String url : List.of("jdbc:mysql://h/db?password=hunter2",
                "jdbc:mysql://h/db?user=u&PASSWORD=hunter2&x=1", "postgresql://u:hunter2@h/db")) {
            ConfigProblems p = problemsOf(minimalWith("database.url", url, "debounce.ms", "-1"));
            assertThat(p.problems()).as(url).hasSize(2)
                    .anySatisfy(m -> assertThat(m).startsWith("database.url"));
            assertThat(p.getMessage()).as(url).doesNotContain("hunter2");
        }
    }

    @Test
    void passwordInsideDatabaseUrlNeverAppearsInProblemsOfOtherSettings() {
        ConfigProblems p = problemsOf(minimalWith("database.url",
                "jdbc:postgresql://h/db?password=hunter2", "debounce.ms", "500",
                "debounce.max.ms", "1"));
        assertThat(p.getMessage()).doesNotContain("hunter2");
    }
}
