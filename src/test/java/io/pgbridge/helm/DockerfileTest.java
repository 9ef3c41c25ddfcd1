package io.pgbridge.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Dockerfile's runtime contract agrees with the chart that runs the image. */
class DockerfileTest {

  @TempDir
  Path tmp;

  private final Dockerfile dockerfile = Dockerfile.read();

  @Test
  void isASingleRuntimeStageOnTheJava17Jre() {
    assertThat(dockerfile.all("FROM")).containsExactly("eclipse-temurin:17-jre");
  }

  @Test
  void copiesOnlyTheProductionArtifactAndTheMigrations() {
    assertThat(dockerfile.copySources())
        .containsExactlyInAnyOrder("target/lib", "target/pgbridge.jar", "sql");
  }

  @Test
  void buildContextHoldsExactlyWhatIsCopied() {
    // Everything is excluded first, then each COPY source is re-included.
    assertThat(Dockerfile.ignoreLines()).first().isEqualTo("*");
    assertThat(Dockerfile.reIncluded())
        .containsExactlyInAnyOrderElementsOf(dockerfile.copySources());
  }

  @Test
  void startsTheJarWithTheArgumentsTheChartPasses() {
    JsonNode container = RenderedChart.render(tmp, ValueSets.DEFAULTS.values).bridgeContainer();
    List<String> chartArgs = RenderedChart.textList(container.path("args"));

    assertThat(dockerfile.execForm("ENTRYPOINT"))
        .containsExactly("java", "-jar", "/opt/pgbridge/pgbridge.jar");
    assertThat(dockerfile.execForm("CMD"))
        .containsExactly("run", "--config", "/etc/pgbridge/pgbridge.properties")
        .isEqualTo(chartArgs);
  }

  @Test
  void runsAsTheNonRootUserTheChartRequires() {
    JsonNode container = RenderedChart.render(tmp, ValueSets.DEFAULTS.values).bridgeContainer();
    int chartUser = container.path("securityContext").path("runAsUser").asInt();

    String user = dockerfile.last("USER");
    // Numeric, so that the kubelet can verify runAsNonRoot.
    assertThat(user).matches("\\d+(:\\d+)?");
    assertThat(Integer.parseInt(user.split(":")[0])).isEqualTo(chartUser).isNotZero();
  }

  @Test
  void exposesTheChartsDefaultHttpPort() {
    RenderedChart chart = RenderedChart.render(tmp, ValueSets.DEFAULTS.values);
    String httpPort = RenderedChart.parse(chart.propertiesText(RenderedChart.FULLNAME))
        .getProperty("http.port");

    assertThat(dockerfile.all("EXPOSE")).containsExactly(httpPort);
  }
}
