package io.pgbridge.bench;

import io.pgbridge.embedded.EmbeddedKafkaCluster;
import io.pgbridge.embedded.KafkaBrokerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The gateway benchmark's Kafka broker: in a JVM of its own ({@code process}, the default, so
 * that its CPU is measured apart from the producer's and the subscribers') or in the
 * benchmark's JVM ({@code in-process}). Started and closed by {@link GatewayBench} on its thread.
 */
final class BenchBroker implements AutoCloseable {

  private final KafkaBrokerProcess process;
  private final EmbeddedKafkaCluster embedded;
  private final long pid;

  private BenchBroker(KafkaBrokerProcess process, EmbeddedKafkaCluster embedded, long pid) {
    this.process = process;
    this.embedded = embedded;
    this.pid = pid;
  }

  static BenchBroker start(String mode) throws IOException, InterruptedException {
    switch (mode) {
      case "in-process" -> {
        return new BenchBroker(null, EmbeddedKafkaCluster.start(), -1);
      }
      case "process" -> {
        KafkaBrokerProcess broker = new KafkaBrokerProcess();
        try {
          broker.start();
        } catch (IOException | RuntimeException e) {
          broker.close();
          throw e;
        }
        // the broker is this JVM's only child running kafka.Kafka
        long pid = ProcessHandle.current().children().mapToLong(ProcessHandle::pid)
            .filter(BenchBroker::isBroker).findFirst().orElse(-1);
        return new BenchBroker(broker, null, pid);
      }
      default -> throw new IllegalArgumentException("--broker must be process or in-process, got "
          + mode);
    }
  }

  private static boolean isBroker(long pid) {
    try {
      String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"),
          StandardCharsets.ISO_8859_1);
      return List.of(cmdline.split("\u0000")).contains("kafka.Kafka");
    } catch (IOException e) {
      return false;
    }
  }

  String bootstrapServers() {
    return process != null ? process.bootstrapServers() : embedded.bootstrapServers();
  }

  String mode() {
    return process != null ? "own JVM" : "in the generator's JVM";
  }

  void createTopic(String name, int partitions, Map<String, String> configs) throws Exception {
    if (embedded != null) {
      embedded.createTopic(name, partitions, configs);
      return;
    }
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)))
          .all().get(60, TimeUnit.SECONDS);
    }
  }

  /** CPU seconds the broker's own JVM has used so far; NaN when it runs in this JVM. */
  double cpuSeconds() throws IOException {
    return pid < 0 ? Double.NaN : GatewayProcess.cpuSeconds(pid);
  }

  @Override
  public void close() {
    if (process != null) {
      process.close();
    } else {
      embedded.close();
    }
  }
}
