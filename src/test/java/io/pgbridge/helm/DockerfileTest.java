package io.pgbridge.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Dockerfile's runtime contract agrees with the chart that runs the image. */
class DockerfileTest {

  @TempDir
  Path tmp;

  private final Dockerfile all = Dockerfile.read();
  /** The default target: the bridge. */
  private final Dockerfile dockerfile = all.lastStage();

  @Test
  void theBridgeIsTheDefaultTargetOnTheJava17Jre() {
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
        .containsExactlyInAnyOrderElementsOf(all.copySources().stream().distinct().toList());
  }

  @Test
  void theGatewayTargetHoldsTheGatewayArtifactAndStartsAsTheChartRunsIt() {
    Dockerfile gateway = all.stage("gateway");
    JsonNode container = RenderedChart.container(RenderedChart.render(tmp,
        Map.of("gateway", Map.of("enabled", true))).get("Deployment",
        RenderedChart.FULLNAME + "-gateway"), "gateway");

    assertThat(gateway.all("FROM")).containsExactly("eclipse-temurin:17-jre AS gateway");
    assertThat(gateway.copySources()).containsExactlyInAnyOrder("target/lib",
        "target/gateway-lib", "target/pgbridge-gateway.jar");
    assertThat(gateway.execForm("ENTRYPOINT"))
        .containsExactly("java", "-jar", "/opt/pgbridge/pgbridge-gateway.jar");
    assertThat(gateway.execForm("CMD"))
        .isEqualTo(RenderedChart.textList(container.path("args")));
    assertThat(gateway.last("USER").split(":")[0])
        .isEqualTo(container.path("securityContext").path("runAsUser").asText());
    assertThat(gateway.all("EXPOSE")).containsExactly(
        container.path("ports").get(0).path("containerPort").asText());
  }

  @Test
  void startsTheJarWithTheArgumentsTheChartPasses() {
    JsonNode container = RenderedChart.render(tmp, Map.of()).bridgeContainer();
    List<String> chartArgs = RenderedChart.textList(container.path("args"));

    assertThat(dockerfile.execForm("ENTRYPOINT"))
        .containsExactly("java", "-jar", "/opt/pgbridge/pgbridge.jar");
    assertThat(dockerfile.execForm("CMD"))
        .containsExactly("run", "--config", "/etc/pgbridge/pgbridge.properties")
        .isEqualTo(chartArgs);
  }

  @Test
  void runsAsTheNonRootUserTheChartRequires() {
    JsonNode container = RenderedChart.render(tmp, Map.of()).bridgeContainer();
    int chartUser = container.path("securityContext").path("runAsUser").asInt();

    String user = dockerfile.last("USER");
    // Numeric, so that the kubelet can verify runAsNonRoot.
    assertThat(user).matches("\\d+(:\\d+)?");
    assertThat(Integer.parseInt(user.split(":")[0])).isEqualTo(chartUser).isNotZero();
  }

  @Test
  void exposesTheChartsDefaultHttpPort() {
    RenderedChart chart = RenderedChart.render(tmp, Map.of());
    String httpPort = RenderedChart.parse(chart.propertiesText(RenderedChart.FULLNAME))
        .getProperty("http.port");

    assertThat(dockerfile.all("EXPOSE")).containsExactly(httpPort);
  }
}
