package io.pgbridge.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The two artifacts `mvn package` builds: the bridge (target/pgbridge.jar + target/lib) holds no
 * gateway, consumer, Jetty or JWT class and refers to none; the gateway
 * (target/pgbridge-gateway.jar + target/lib + target/gateway-lib) starts with java -jar; and
 * the consumer library refers to nothing of the bridge but its own package.
 */
class ArtifactsIT {

  private static final Path TARGET = Path.of("target");
  private static final Path BRIDGE = TARGET.resolve("pgbridge.jar");
  private static final Path GATEWAY = TARGET.resolve("pgbridge-gateway.jar");
  private static final List<String> GATEWAY_ONLY = List.of("org/eclipse/jetty", "com/nimbusds",
      "io/pgbridge/gateway", "io/pgbridge/consumer");

  @Test
  void theBridgeJarHoldsAndRefersToNoGatewayClass() throws IOException {
    try (JarFile jar = new JarFile(BRIDGE.toFile())) {
      List<String> names = Collections.list(jar.entries()).stream().map(JarEntry::getName)
          .toList();
      assertThat(names).contains("io/pgbridge/cli/Main.class")
          .noneMatch(n -> GATEWAY_ONLY.stream().anyMatch(n::startsWith))
          .noneMatch(n -> n.startsWith("io/pgbridge/gateway/ui"));
      for (JarEntry e : Collections.list(jar.entries())) {
        if (e.getName().endsWith(".class")) {
          String constants = constants(jar, e);
          for (String forbidden : GATEWAY_ONLY) {
            assertThat(constants).as("%s refers to %s", e.getName(), forbidden)
                .doesNotContain(forbidden);
          }
        }
      }
      String classPath = jar.getManifest().getMainAttributes()
          .getValue(Attributes.Name.CLASS_PATH);
      assertThat(classPath).doesNotContainIgnoringCase("jetty").doesNotContain("nimbus")
          .doesNotContain("gateway-lib");
    }
  }

  @Test
  void theBridgeLibrariesHoldNoJettyOrJwtJar() throws IOException {
    try (Stream<Path> libs = Files.list(TARGET.resolve("lib"))) {
      assertThat(libs.map(p -> p.getFileName().toString()).toList()).isNotEmpty()
          .noneMatch(n -> n.startsWith("jetty-") || n.startsWith("nimbus-")
              || n.startsWith("selenium") || n.startsWith("kafka_2.13"));
    }
  }

  @Test
  void theGatewayJarFindsEveryLibraryOfItsManifest() throws IOException {
    try (JarFile jar = new JarFile(GATEWAY.toFile())) {
      assertThat(jar.getEntry("io/pgbridge/gateway/GatewayMain.class")).isNotNull();
      assertThat(jar.getEntry("io/pgbridge/gateway/ui/index.html")).isNotNull();
      assertThat(jar.getEntry("io/pgbridge/cli/Main.class")).isNull();
      String classPath = jar.getManifest().getMainAttributes()
          .getValue(Attributes.Name.CLASS_PATH);
      List<String> entries = List.of(classPath.split(" "));
      assertThat(entries).anyMatch(e -> e.startsWith("gateway-lib/jetty-server-"))
          .anyMatch(e -> e.startsWith("gateway-lib/nimbus-jose-jwt-"))
          .anyMatch(e -> e.startsWith("lib/kafka-clients-"))
          .allSatisfy(e -> assertThat(TARGET.resolve(e)).exists());
    }
  }

  @Test
  void theConsumerLibraryRefersOnlyToTheRecordContract() throws IOException {
    try (JarFile jar = new JarFile(GATEWAY.toFile())) {
      int classes = 0;
      for (JarEntry e : Collections.list(jar.entries())) {
        if (e.getName().startsWith("io/pgbridge/consumer/") && e.getName().endsWith(".class")) {
          classes++;
          String constants = constants(jar, e).replace("io/pgbridge/consumer/", "");
          assertThat(constants).as(e.getName()).doesNotContain("io/pgbridge/")
              .doesNotContain("org/eclipse/jetty").doesNotContain("io/micrometer");
        }
      }
      assertThat(classes).isGreaterThan(5);
    }
  }

  @Test
  void theGatewayStartsWithJavaDashJarAndTheBridgeSaysWhereItIs() throws Exception {
    Result help = java("-jar", GATEWAY.toString(), "--help");
    assertThat(help.exit).as(help.output).isZero();
    assertThat(help.output).contains("Usage: pgbridge gateway");

    Result bad = java("-jar", GATEWAY.toString(), "run");
    assertThat(bad.exit).as(bad.output).isEqualTo(2);
    assertThat(bad.output).contains("kafka.bootstrap.servers", "auth.jwt.key.file");

    Result bridge = java("-jar", BRIDGE.toString(), "gateway");
    assertThat(bridge.exit).isEqualTo(2);
    assertThat(bridge.output).contains("pgbridge-gateway.jar");
  }

  private record Result(int exit, String output) {}

  private static Result java(String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("PGBRIDGE_"));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out);
  }

  /** The class file's bytes as Latin-1 text: its constant pool's names are in it verbatim. */
  private static String constants(JarFile jar, JarEntry e) throws IOException {
    try (InputStream in = jar.getInputStream(e)) {
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }
}
