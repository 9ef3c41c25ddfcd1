package io.pgbridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's configuration table and the sample file stay equal to the declarations. */
class GeneratedDocsTest {

  @Test
  void readmeConfigurationTableIsTheGeneratedOne() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    int start = readme.indexOf("<!-- config-table:start -->\n");
    int end = readme.indexOf("<!-- config-table:end -->");
    assertThat(start).as("config-table markers in README.md").isNotNegative();
    String table = readme.substring(start + "<!-- config-table:start -->\n".length(), end);
    assertThat(table).as("regenerate with: ./pgbridge config-docs")
        .isEqualTo(ConfigDocs.markdown());
  }

  @Test
  void sampleConfigurationIsTheGeneratedOneAndLoads() throws Exception {
    Path sample = Path.of("config", "pgbridge.properties");
    String text = Files.readString(sample);
    assertThat(text).as("regenerate with: ./pgbridge config-docs --format properties")
        .endsWith(ConfigDocs.properties());
    BridgeConfig config = ConfigLoader.load(sample, java.util.Map.of());
    assertThat(config.debounceMs()).isEqualTo(100);
    assertThat(config.topic()).isEqualTo("generation-state");
  }
}
