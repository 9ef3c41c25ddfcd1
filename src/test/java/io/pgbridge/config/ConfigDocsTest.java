package io.pgbridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigDocsTest {

    @TempDir
    Path dir;

    private BridgeConfig load(String properties) throws IOException {
        Path f = dir.resolve("pgbridge.properties");
        Files.writeString(f, properties, StandardCharsets.UTF_8);
        return ConfigLoader.load(f, Map.of());
    }

    @Test
    void markdownHasOneTableRowPerKey() {
        String md = ConfigDocs.markdown();
        assertThat(md).startsWith("| key | type | default | valid values | importance | description |\n");
        for (String key : BridgeConfig.names()) {
            assertThat(md).as(key).contains("| `" + key + "` |");
        }
        long rows = md.lines().filter(l -> l.startsWith("| `")).count();
        assertThat(rows).isEqualTo(BridgeConfig.names().size());
    }

    @Test
    void markdownMarksRequiredKeysAndShowsDefaults() {
        String md = ConfigDocs.markdown();
        assertThat(md).containsPattern("\\| `database.url` \\| string \\| \\(required\\) \\|");
        assertThat(md).containsPattern("\\| `debounce.ms` \\| long \\| `100` \\|");
        assertThat(md).containsPattern("\\| `topic` \\| string \\| `generation-state` \\|");
        assertThat(md).contains("PGBRIDGE_DEBOUNCE_MS");
    }

    @Test
    void markdownRowsHaveSixCellsEvenWhenDocsContainPipes() {
        for (String row : ConfigDocs.markdown().lines().filter(l -> l.startsWith("| `")).toList()) {
            assertThat(row.replace("\\|", "").chars().filter(c -> c == '|').count()).as(row)
                    .isEqualTo(7);
        }
    }

    @Test
    void samplePropertiesLoadAsTheyAreWritten() throws IOException {
        String sample = ConfigDocs.properties();
        assertThat(sample).contains("\ndatabase.url=").contains("\nkafka.bootstrap.servers=");
        BridgeConfig c = load(sample);
        assertThat(c.databaseUrl()).isEqualTo("jdbc:postgresql://localhost:5432/app");
        assertThat(c.debounceMs()).isEqualTo(100);
    }

    @Test
    void sampleMentionsEveryKeyOnce() {
        String sample = ConfigDocs.properties();
        for (String key : BridgeConfig.names()) {
            assertThat(sample.lines().filter(l -> l.replaceFirst("^#", "").startsWith(key + "="))
                    .count()).as(key).isEqualTo(1);
        }
    }

    @Test
    void sampleWithEveryDefaultUncommentedLoadsToTheSameConfig() throws IOException {
        String sample = ConfigDocs.properties();
        String uncommented = String.join("\n", sample.lines()
                .map(l -> l.matches("#[a-z.]+=.*") ? l.substring(1) : l).toList());
        BridgeConfig all = load(uncommented);
        BridgeConfig defaults = load(sample);
        assertThat(all.describe()).isEqualTo(defaults.describe());
        assertThat(all.originals()).hasSize(BridgeConfig.names().size());
    }
}
