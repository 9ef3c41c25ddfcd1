package io.pgbridge.bench;

import io.pgbridge.config.BridgeConfig.ValueFormat;
import io.pgbridge.fetch.SessionRow;
import io.pgbridge.publish.RecordBuilder;
import io.pgbridge.publish.StateRecord;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * {@code pgbridge bench gateway}: one gateway (its own JVM) holding many concurrent WebSocket
 * subscribers while records arrive at a fixed rate, each fanned out to the subscribers of its
 * project. Measures record append to receipt by the subscriber (p50/p99/max), what the gateway
 * itself reports (send lag to the completed socket write, skipped states), its CPU, and its
 * heap per materialised session and per connection; then the same at higher rates. Records are
 * written as the bridge writes them (its RecordBuilder), straight to Kafka: the bridge is not
 * what is measured here.
 */
final class GatewayBench {

  private final BenchArgs args;
  private final PrintStream out;
  private final StringBuilder report = new StringBuilder();

  private GatewayBench(BenchArgs args, PrintStream out) {
    this.args = args;
    this.out = out;
  }

  static int run(BenchArgs args, PrintStream out) throws Exception {
    return new GatewayBench(args, out).run();
  }

  private record Phase(int rate, int seconds, long produced, long received, double p50,
      double p99, double p999, double max, double receiveLagP99, double fanoutLagP99,
      double gatewayLagP99,
      double skipped, double cpu,
      double generatorCpu, double brokerCpu, double cpuMicrosPerMessage, double gcPauses,
      double gcPauseMs, int open, String load) {}

  /** CPU seconds this JVM (Kafka, producer, subscribers) has used so far. */
  private static double ownCpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
  }

  private int run() throws Exception {
    String brokerMode = args.get("broker", "process");
    List<String> gatewayOptions = args.get("gateway-opts", "").isBlank() ? List.of()
        : List.of(args.get("gateway-opts", "").trim().split("\\s+"));
    String gatewayClassPath = args.get("gateway-classpath", System.getProperty("java.class.path"));
    String topic = "bench-gateway-" + UUID.randomUUID().toString().substring(0, 8);
    try (BenchBroker kafka = BenchBroker.start(brokerMode)) {
      kafka.createTopic(topic, 6, Map.of("cleanup.policy", "compact"));
      return run(kafka, topic, gatewayOptions, gatewayClassPath);
    }
  }

  private int run(BenchBroker kafka, String topic, List<String> gatewayOptions,
      String gatewayClassPath) throws Exception {
    int subscribers = args.getInt("subscribers", 10_000);
    int fanout = args.getInt("fanout", 10);
    int perProject = args.getInt("sessions-per-project", 10);
    int memorySessions = args.getInt("memory-sessions", 100_000);
    int seconds = args.getInt("seconds", 30);
    int warmup = args.getInt("warmup", 10);
    int stateBytes = args.getInt("state-bytes", 600);
    String heap = args.get("gateway-heap", "3g");
    List<Integer> rates = new ArrayList<>();
    String rateList = args.get("rates", "1000,2000,5000");
    if (!rateList.equals("none")) {
      for (String r : rateList.split(",")) {
        rates.add(Integer.parseInt(r.trim()));
      }
    }
    int projects = subscribers / fanout;
    String bootstrap = kafka.bootstrapServers();
    List<UUID> projectIds = new ArrayList<>();
    List<UUID> hot = new ArrayList<>();
    List<UUID> hotProject = new ArrayList<>();
    for (int p = 0; p < projects; p++) {
      UUID project = UUID.randomUUID();
      projectIds.add(project);
      for (int s = 0; s < perProject; s++) {
        hot.add(UUID.randomUUID());
        hotProject.add(project);
      }
    }
    long[] versions = new long[hot.size()];
    line("# pgbridge bench gateway");
    line("");
    line(String.format(Locale.ROOT, "%d subscribers (one WebSocket each, one project each), %d"
        + " per project, %d projects x %d sessions; %d sessions in memory in all; states of"
        + " ~%d bytes; gateway heap %s; Kafka broker %s; %d s per rate after %d s warm-up;"
        + " %d cores, load %s", subscribers, fanout, projects, perProject,
        Math.max(memorySessions, hot.size()), stateBytes, heap, kafka.mode(), seconds, warmup,
        Runtime.getRuntime().availableProcessors(), load()));
    try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap);
        GatewayProcess gateway = GatewayProcess.start(bootstrap, topic, heap, gatewayOptions,
            gatewayClassPath, gatewaySettings())) {
      RecordBuilder builder = new RecordBuilder(ValueFormat.ENVELOPE, false);
      String pad = "x".repeat(Math.max(0, stateBytes - 160));
      gateway.awaitReady(Duration.ofMinutes(2));
      long heapEmpty = gateway.heapAfterGc();

      for (int i = 0; i < hot.size(); i++) {
        send(producer, builder, topic, hot.get(i), hotProject.get(i), ++versions[i], pad, 0);
      }
      // the other sessions belong to projects nobody watches: memory, not initial fan-out
      List<UUID> coldProjects = new ArrayList<>();
      for (int p = 0; p < projects; p++) {
        coldProjects.add(UUID.randomUUID());
      }
      for (int i = hot.size(); i < memorySessions; i++) {
        send(producer, builder, topic, UUID.randomUUID(), coldProjects.get(i % projects), 1, pad,
            0);
      }
      producer.flush();
      int held = Math.max(memorySessions, hot.size());
      awaitSessions(gateway, held);
      long heapSessions = gateway.heapAfterGc();
      double perSession = (heapSessions - heapEmpty) / (double) held;
      line(String.format(Locale.ROOT, "- heap: %.0f MB empty, %.0f MB with %,d sessions ="
          + " **%.0f bytes per materialised session** (state ~%d bytes)", heapEmpty / 1e6,
          heapSessions / 1e6, held, perSession, stateBytes));

      List<String> projectNames = projectIds.stream().map(UUID::toString).toList();
      long t0 = System.nanoTime();
      try (BenchSubscribers subs = new BenchSubscribers()) {
        subs.connect(gateway.port(), projectNames, subscribers, 256);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (subs.synced.get() < subscribers && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        double connectSeconds = (System.nanoTime() - t0) / 1e9;
        long heapConnected = gateway.heapAfterGc();
        line(String.format(Locale.ROOT, "- %,d subscribers connected and synced (%,d initial"
            + " states) in %.1f s; heap %.0f MB = **%.0f bytes per connection**",
            subs.synced.get(), subs.states.sum(), connectSeconds, heapConnected / 1e6,
            (heapConnected - heapSessions) / (double) subscribers));
        if (rates.isEmpty()) {
          writeReport();
          return 0;
        }
        line("");
        line("| records/s | deliveries/s offered | received | append→receive p50 | p99 | p99.9"
            + " | max | gateway receive lag p99 | gateway fan-out p99 | gateway send lag p99"
            + " | skipped | gateway CPU | CPU per message | gateway GC pauses | generator CPU"
            + " | broker CPU | open | load |");
        line("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        load(producer, builder, topic, hot, hotProject, versions, pad, rates.get(0), warmup,
            subs, gateway, kafka);
        for (int rate : rates) {
          Phase p = load(producer, builder, topic, hot, hotProject, versions, pad, rate, seconds,
              subs, gateway, kafka);
          line(String.format(Locale.ROOT, "| %,d | %,d | %,d (%.1f%%) | %.1f ms | **%.1f ms**"
              + " | %.1f ms | %.0f ms | ≤ %.0f ms | ≤ %.0f ms | ≤ %.0f ms | %,.0f | %.0f%% | %.0f µs"
              + " | %.0f, %.0f ms | %.0f%% | %s | %,d | %s |", p.rate, p.rate * fanout, p.received,
              100.0 * p.received / Math.max(1, p.produced * fanout), p.p50, p.p99, p.p999, p.max,
              p.receiveLagP99, p.fanoutLagP99, p.gatewayLagP99, p.skipped, p.cpu * 100,
              p.cpuMicrosPerMessage, p.gcPauses, p.gcPauseMs, p.generatorCpu * 100,
              Double.isNaN(p.brokerCpu) ? "(in generator)"
                  : String.format(Locale.ROOT, "%.0f%%", p.brokerCpu * 100), p.open, p.load));
        }
        line("");
        line(String.format(Locale.ROOT, "subscribers closed by the gateway or the network: %d;"
            + " gateway clients dropped: %.0f", subs.closed.get(), GatewayProcess.sum(
                gateway.get("/metrics"), "pgbridge_gateway_clients_dropped_total\\{[^}]*\\}")));
      }
    }
    writeReport();
    return 0;
  }

  /** The gateway's settings: the benchmark's own, then {@code --gateway-set k=v,k=v}. */
  private Map<String, String> gatewaySettings() {
    Map<String, String> settings = new java.util.LinkedHashMap<>();
    settings.put("client.queue.max.sessions", "10000");
    String more = args.get("gateway-set", "");
    for (String kv : more.isBlank() ? new String[0] : more.split(",")) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--gateway-set takes key=value[,key=value], got " + kv);
      }
      settings.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
    }
    return settings;
  }

  private void writeReport() throws java.io.IOException {
    String file = args.get("out", null);
    if (file != null) {
      Files.writeString(Path.of(file), report.toString());
      out.println("written to " + file);
    }
  }

  private Phase load(KafkaProducer<byte[], byte[]> producer, RecordBuilder builder, String topic,
      List<UUID> hot, List<UUID> hotProject, long[] versions, String pad, int rate, int seconds,
      BenchSubscribers subs, GatewayProcess gateway, BenchBroker kafka) throws Exception {
    String before = gateway.get("/metrics");
    double cpu0 = gateway.cpuSeconds();
    double broker0 = kafka.cpuSeconds();
    double own0 = ownCpuSeconds();
    long received0 = subs.states.sum();
    subs.latencyMicros.reset();
    String load0 = load();
    long start = System.nanoTime();
    long produced = 0;
    long tickNanos = TimeUnit.MILLISECONDS.toNanos(10);
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    long next = start;
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (System.nanoTime() < end) {
      long due = (System.nanoTime() - start) * rate / 1_000_000_000L;
      while (produced < due) {
        int i = random.nextInt(hot.size());
        send(producer, builder, topic, hot.get(i), hotProject.get(i), ++versions[i], pad,
            System.currentTimeMillis());
        produced++;
      }
      next += tickNanos;
      long sleep = next - System.nanoTime();
      if (sleep > 0) {
        TimeUnit.NANOSECONDS.sleep(sleep);
      }
    }
    producer.flush();
    Thread.sleep(1_000);
    Histogram h = subs.latencyMicros.getIntervalHistogram();
    String after = gateway.get("/metrics");
    double elapsed = (System.nanoTime() - start) / 1e9;
    double cpu = (gateway.cpuSeconds() - cpu0) / elapsed;
    double generatorCpu = (ownCpuSeconds() - own0) / elapsed;
    double brokerCpu = (kafka.cpuSeconds() - broker0) / elapsed;
    double skipped = GatewayProcess.sum(after, "pgbridge_gateway_messages_skipped_total")
        - GatewayProcess.sum(before, "pgbridge_gateway_messages_skipped_total");
    double lagP99 = bucketPercentile(before, after, "pgbridge_gateway_send_lag_seconds", 0.99)
        * 1000;
    double messages = delta(before, after, "pgbridge_gateway_messages_sent_total\\{[^}]*\\}");
    double gcPauses = delta(before, after, "jvm_gc_pause_seconds_count\\{[^}]*\\}");
    double gcSeconds = delta(before, after, "jvm_gc_pause_seconds_sum\\{[^}]*\\}");
    double receiveP99 = bucketPercentile(before, after, "pgbridge_gateway_receive_lag_seconds",
        0.99) * 1000;
    double fanoutP99 = bucketPercentile(before, after, "pgbridge_gateway_fanout_lag_seconds",
        0.99) * 1000;
    return new Phase(rate, seconds, produced, subs.states.sum() - received0,
        h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
        h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0, receiveP99, fanoutP99,
        lagP99,
        skipped, cpu,
        generatorCpu, brokerCpu, cpu * elapsed * 1e6 / Math.max(1, messages),
        gcPauses, gcSeconds * 1000, subs.open(), load0 + " → " + load());
  }

  private static double delta(String before, String after, String regex) {
    return GatewayProcess.sum(after, regex) - GatewayProcess.sum(before, regex);
  }

  /**
   * The upper bound of the histogram bucket that holds the {@code q} quantile of what was
   * recorded between two scrapes (Prometheus buckets are cumulative).
   */
  static double bucketPercentile(String before, String after, String name, double q) {
    java.util.regex.Pattern bucket = java.util.regex.Pattern.compile(
        "^" + name + "_bucket\\{le=\"([^\"]+)\"\\} ([0-9.eE+-]+)$",
        java.util.regex.Pattern.MULTILINE);
    java.util.TreeMap<Double, Double> counts = new java.util.TreeMap<>();
    java.util.regex.Matcher a = bucket.matcher(after);
    while (a.find()) {
      double le = a.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY
          : Double.parseDouble(a.group(1));
      counts.merge(le, Double.parseDouble(a.group(2)), Double::sum);
    }
    java.util.regex.Matcher b = bucket.matcher(before);
    while (b.find()) {
      double le = b.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY
          : Double.parseDouble(b.group(1));
      counts.merge(le, -Double.parseDouble(b.group(2)), Double::sum);
    }
    double total = counts.isEmpty() ? 0 : counts.lastEntry().getValue();
    for (java.util.Map.Entry<Double, Double> e : counts.entrySet()) {
      if (total > 0 && e.getValue() >= q * total) {
        return e.getKey();
      }
    }
    return Double.NaN;
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, RecordBuilder builder,
      String topic, UUID session, UUID project, long version, String pad, long sentAt)
      throws Exception {
    String state = "{\"status\":\"running\",\"progress\":" + (version % 100) + ",\"sentAt\":"
        + sentAt + ",\"todos\":{\"total\":8,\"completed\":" + (version % 8)
        + "},\"toolCalls\":{\"total\":" + version + ",\"lastTool\":\"edit_file\"},\"pad\":\""
        + pad + "\"}";
    StateRecord r = builder.build(new SessionRow(session, project, version, Instant.now(),
        state.getBytes(StandardCharsets.UTF_8)), "bench");
    List<org.apache.kafka.common.header.Header> headers = new ArrayList<>();
    for (StateRecord.Header h : r.headers()) {
      headers.add(new RecordHeader(h.key(), h.value()));
    }
    producer.send(new ProducerRecord<>(topic, null, r.key(), r.value(), headers));
  }

  private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    return new KafkaProducer<>(p);
  }

  private static void awaitSessions(GatewayProcess gateway, int sessions) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (System.nanoTime() < deadline) {
      if (GatewayProcess.sum(gateway.get("/metrics"), "pgbridge_gateway_sessions") >= sessions) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the gateway did not hold " + sessions + " sessions");
  }

  private static String load() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0];
    } catch (Exception e) {
      return "?";
    }
  }

  private void line(String s) {
    out.println(s);
    report.append(s).append('\n');
  }
}
