package io.pgbridge.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
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
  void theBridgeIsTheDefaultTargetOnAJava17JrePinnedByVersion() {
    assertThat(dockerfile.all("FROM")).singleElement().asString()
        // a full Temurin release (17.0.<update>_<build>), not a moving tag such as 17-jre
        .matches("eclipse-temurin:17\\.0\\.\\d+_\\d+-jre(-[a-z]+)?");
    assertThat(dockerfile.labels().get("org.opencontainers.image.base.name"))
        .isEqualTo("docker.io/library/" + dockerfile.last("FROM"));
  }

  @Test
  void carriesOciLabelsForVersionRevisionAndSourceFromBuildArgs() throws IOException {
    Map<String, String> labels = dockerfile.labels();
    Map<String, String> args = dockerfile.args();
    JsonNode chart = new YAMLMapper().readTree(RenderedChart.CHART.resolve("Chart.yaml").toFile());

    assertThat(labels).containsEntry("org.opencontainers.image.version", "${VERSION}")
        .containsEntry("org.opencontainers.image.revision", "${REVISION}")
        .containsEntry("org.opencontainers.image.source", "${SOURCE}")
        .containsEntry("org.opencontainers.image.title", "pgbridge");
    // defaults that agree with the chart that deploys the image
    assertThat(args).containsEntry("VERSION", chart.path("appVersion").asText())
        .containsEntry("SOURCE", chart.path("sources").get(0).asText())
        .containsKey("REVISION");
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
        ValueSets.defaultsWith(Map.of("gateway", Map.of("enabled", true)))).get("Deployment",
        RenderedChart.FULLNAME + "-gateway"), "gateway");

    assertThat(gateway.all("FROM")).containsExactly(dockerfile.last("FROM") + " AS gateway");
    assertThat(gateway.labels()).containsEntry("org.opencontainers.image.title", "pgbridge-gateway")
        .containsEntry("org.opencontainers.image.version", "${VERSION}")
        .containsEntry("org.opencontainers.image.revision", "${REVISION}");
    assertThat(gateway.copySources()).containsExactlyInAnyOrder("target/lib",
        "target/gateway-lib", "target/pgbridge-gateway.jar");
    assertThat(gateway.execForm("ENTRYPOINT"))
        .containsExactly("java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError",
            "-jar", "/opt/pgbridge/pgbridge-gateway.jar");
    assertThat(gateway.execForm("CMD"))
        .isEqualTo(RenderedChart.textList(container.path("args")));
    // ZGC in the image, and in the chart's value that replaces the image's variable; exactly one
    // collector each, since two stop the JVM
    assertThat(gateway.env()).containsEntry("JAVA_TOOL_OPTIONS", "-XX:+UseZGC");
    String chartFlags = HelmChartTest.envValue(container, "JAVA_TOOL_OPTIONS");
    assertThat(List.of(chartFlags.split("\\s+")))
        .filteredOn(f -> f.matches("-XX:\\+Use\\w+GC")).containsExactly("-XX:+UseZGC");
    assertThat(dockerfile.env()).doesNotContainKey("JAVA_TOOL_OPTIONS");
    assertThat(gateway.last("USER").split(":")[0])
        .isEqualTo(container.path("securityContext").path("runAsUser").asText());
    assertThat(gateway.all("EXPOSE")).containsExactly(
        container.path("ports").get(0).path("containerPort").asText());
  }

  @Test
  void startsTheJarWithTheArgumentsTheChartPasses() {
    JsonNode container = RenderedChart.render(tmp, ValueSets.DEFAULTS.values).bridgeContainer();
    List<String> chartArgs = RenderedChart.textList(container.path("args"));

    assertThat(dockerfile.execForm("ENTRYPOINT")).containsExactly("java",
        "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar",
        "/opt/pgbridge/pgbridge.jar");
    // the chart leaves the JVM flags to the image (and adds no JAVA_TOOL_OPTIONS, whose
    // "Picked up" line would break JSON logs) unless the operator asks for more
    assertThat(container.path("env").findValuesAsText("name")).doesNotContain(
        "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");
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
