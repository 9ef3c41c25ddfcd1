package io.pgbridge.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgbridge.config.BridgeConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The bridge as an operator runs it: {@code pgbridge run --config FILE} in its own JVM on the
 * test classpath, so that fault tests can SIGKILL it (no shutdown code runs at all) or SIGTERM
 * it and read its exit code. The constructor writes the properties file (the given settings
 * plus a free {@code http.port}); {@link #start()} launches a new process each time, with
 * stdout and stderr appended to {@code target/faults/<name>-<n>.log}, and waits until
 * {@code /healthz} answers. One test thread drives the lifecycle; {@link #close()} kills a
 * process left running.
 */
public final class BridgeProcess implements AutoCloseable {

  /** An HTTP answer of the admin endpoints. */
  public record Response(int status, String body) {}

  private static final Path DIRECTORY = Path.of("target", "faults");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final String name;
  private final Path configFile;
  private final int httpPort;
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();
  private Process process;
  private Path logFile;
  private int starts;

  /** Writes {@code target/faults/<name>.properties} from {@code settings}; starts nothing. */
  public BridgeProcess(String name, Map<String, String> settings) throws IOException {
    this.name = name;
    Files.createDirectories(DIRECTORY);
    try (ServerSocket s = new ServerSocket(0)) {
      this.httpPort = s.getLocalPort();
    }
    Properties p = new Properties();
    p.putAll(new TreeMap<>(settings));
    p.put(BridgeConfig.HTTP_PORT_CONFIG, Integer.toString(httpPort));
    this.configFile = DIRECTORY.resolve(name + ".properties");
    try (Writer w = Files.newBufferedWriter(configFile, StandardCharsets.UTF_8)) {
      p.store(w, "BridgeProcess " + name);
    }
  }

  /** Launches {@code pgbridge run} and waits until its HTTP endpoints answer. */
  public void start() throws IOException, InterruptedException {
    if (isAlive()) {
      throw new IllegalStateException(name + " is already running (pid " + process.pid() + ")");
    }
    starts++;
    logFile = DIRECTORY.resolve(name + "-" + starts + ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = List.of(java, "-Xms64m", "-Xmx384m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
        "-cp", System.getProperty("java.class.path"),
        "io.pgbridge.cli.Main", "run", "--config", configFile.toString());
    process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .start();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IOException(name + " exited with " + process.exitValue() + " at start; its log: "
            + logFile + "\n" + tail(40));
      }
      if (tryGet("/healthz") != null) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        killHard();
        throw new IOException(name + " did not answer /healthz within " + START_TIMEOUT
            + "; its log: " + logFile);
      }
      Thread.sleep(100);
    }
  }

  /** SIGKILL: no shutdown hook, no flush, no final checkpoint. Waits for the process to die. */
  public void killHard() throws InterruptedException {
    if (isAlive()) {
      process.destroyForcibly().waitFor();
    }
  }

  /**
   * SIGTERM and wait up to {@code wait} for the process to exit; returns its exit code, or -1
   * (after a SIGKILL) if it did not exit in time.
   */
  public int terminate(Duration wait) throws InterruptedException {
    if (process == null) {
      throw new IllegalStateException(name + " was never started");
    }
    if (!process.isAlive()) {
      return process.exitValue();
    }
    process.destroy();
    if (process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) {
      return process.exitValue();
    }
    process.destroyForcibly().waitFor();
    return -1;
  }

  /** Waits up to {@code wait} for the process to end by itself; its exit code, or -1. */
  public int awaitExit(Duration wait) throws InterruptedException {
    return process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
  }

  /** How many times {@link #start()} launched a process (the current one is that number). */
  public int starts() {
    return starts;
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  public long pid() {
    return process.pid();
  }

  public Path logFile() {
    return logFile;
  }

  public int httpPort() {
    return httpPort;
  }

  /** GET on the admin port; throws if the process does not answer. */
  public Response httpGet(String path) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + httpPort + path))
        .timeout(Duration.ofSeconds(5)).GET().build();
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    return new Response(r.statusCode(), r.body());
  }

  /** {@link #httpGet}, or null when the process does not answer (not up yet, or gone). */
  public Response tryGet(String path) throws InterruptedException {
    try {
      return httpGet(path);
    } catch (IOException e) {
      return null;
    }
  }

  public boolean ready() throws InterruptedException {
    Response r = tryGet("/readyz");
    return r != null && r.status() == 200;
  }

  /** {@code /status} as JSON. */
  public JsonNode status() throws IOException, InterruptedException {
    return SessionWriter.parse(httpGet("/status").body());
  }

  /**
   * The sum of every series of a Prometheus metric on {@code /metrics} (e.g.
   * {@code pgbridge_catchup_sessions_total}); 0 if absent.
   */
  public double metric(String prometheusName) throws IOException, InterruptedException {
    double sum = 0;
    for (String line : httpGet("/metrics").body().split("\n")) {
      if (line.startsWith(prometheusName + "{") || line.startsWith(prometheusName + " ")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  /**
   * The sum of the series of a Prometheus metric whose labels include {@code label="value"}
   * (e.g. {@code pgbridge_wal_slot_recreated_total}, {@code reason}, {@code dropped}); 0 if
   * there are none.
   */
  public double metric(String prometheusName, String label, String value)
      throws IOException, InterruptedException {
    String selector = label + "=\"" + value + "\"";
    double sum = 0;
    for (String line : httpGet("/metrics").body().split("\n")) {
      if (!line.startsWith(prometheusName + "{")) {
        continue;
      }
      String labels = line.substring(prometheusName.length(), line.indexOf('}') + 1);
      if (labels.contains("{" + selector) || labels.contains("," + selector)) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  /** Waits until {@code /readyz} answers 200; returns whether it did within {@code timeout}. */
  public boolean awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() - deadline < 0) {
      if (ready()) {
        return true;
      }
      if (!isAlive()) {
        return false;
      }
      Thread.sleep(50);
    }
    return ready();
  }

  /**
   * Waits until {@code /status} reports the listener connected and its catch-up done, so that
   * the catch-up metric is final for this connection; returns whether it did in time.
   */
  public boolean awaitCaughtUp(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() - deadline < 0) {
      if (isAlive() && tryGet("/healthz") != null
          && status().path("listener").path("caughtUp").asBoolean()) {
        return true;
      }
      Thread.sleep(50);
    }
    return false;
  }

  /** The last {@code lines} lines of the current log, for failure messages. */
  public String tail(int lines) {
    try {
      List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Kills a process left running. */
  @Override
  public void close() {
    try {
      killHard();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
