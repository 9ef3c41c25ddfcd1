package io.pgbridge.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway under test in a JVM of its own ({@code io.pgbridge.gateway.GatewayMain} on this
 * JVM's class path), so that its heap and CPU are measured apart from the load generator's:
 * heap after a full GC (through {@code jcmd GC.run} and its {@code /metrics}), CPU time from
 * {@code /proc}. Started and stopped by {@link GatewayBench} on its thread.
 */
final class GatewayProcess implements AutoCloseable {

  private final Process process;
  private final int port;
  private final HttpClient http = HttpClient.newHttpClient();

  private GatewayProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /**
   * Starts the gateway with {@code jvmOptions} after the heap settings (e.g. a GC log or a
   * flight recording) on {@code classPath} (this JVM's, or another build's to compare).
   */
  static GatewayProcess start(String bootstrap, String topic, String heap,
      List<String> jvmOptions, String classPath, Map<String, String> more) throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path config = Files.createTempFile("bench-gateway", ".properties");
    StringBuilder props = new StringBuilder();
    props.append("kafka.bootstrap.servers=").append(bootstrap).append('\n')
        .append("topic=").append(topic).append('\n')
        .append("heartbeat.topic=none\n")
        .append("http.host=127.0.0.1\n")
        .append("http.port=").append(port).append('\n')
        .append("auth.mode=none\n")
        .append("max.connections=200000\n");
    more.forEach((k, v) -> props.append(k).append('=').append(v).append('\n'));
    Files.writeString(config, props);
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + heap, "-Xms" + heap,
        "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir")));
    // ZGC, as the gateway's image runs it, unless the options or the JVM's variables choose a
    // collector (two would stop the JVM from starting)
    List<String> chosen = new ArrayList<>(jvmOptions);
    for (String variable : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")) {
      String value = System.getenv(variable);
      if (value != null) {
        chosen.addAll(List.of(value.trim().split("\\s+")));
      }
    }
    if (chosen.stream().noneMatch(o -> o.matches("-XX:\\+Use\\w+GC"))) {
      command.add("-XX:+UseZGC");
    }
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", classPath,
        "io.pgbridge.gateway.GatewayMain", "run", "--config", config.toString()));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(Path.of(System.getProperty("java.io.tmpdir"), "bench-gateway.log")
            .toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("PGBRIDGE_"));
    return new GatewayProcess(pb.start(), port);
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  String get(String path) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + port + path)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + "\n" + r.body();
  }

  void awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the gateway exited with " + process.exitValue());
      }
      try {
        if (get("/readyz").startsWith("200")) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the gateway was not ready within " + timeout);
  }

  /** Heap in use after a full collection, in bytes. */
  long heapAfterGc() throws IOException, InterruptedException {
    Process gc = new ProcessBuilder("jcmd", Long.toString(pid()), "GC.run")
        .redirectErrorStream(true).start();
    gc.getInputStream().readAllBytes();
    gc.waitFor(60, TimeUnit.SECONDS);
    Thread.sleep(500);
    return (long) sum(get("/metrics"), "jvm_memory_used_bytes\\{area=\"heap\"[^}]*\\}");
  }

  /** The sum of every series of a metric whose name and labels match {@code regex}. */
  static double sum(String metrics, String regex) {
    Matcher m = Pattern.compile("^" + regex + " ([0-9.eE+-]+)$", Pattern.MULTILINE)
        .matcher(metrics);
    double total = 0;
    while (m.find()) {
      total += Double.parseDouble(m.group(1));
    }
    return total;
  }

  /** CPU seconds (user + system) the gateway process has used so far. */
  double cpuSeconds() throws IOException {
    return cpuSeconds(pid());
  }

  /** CPU seconds (user + system) process {@code pid} has used so far, from {@code /proc}. */
  static double cpuSeconds(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
