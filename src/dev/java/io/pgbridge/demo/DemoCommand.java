package io.pgbridge.demo;

import ch.qos.logback.classic.Level;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgbridge.Bridge;
import io.pgbridge.cli.ExitCodes;
import io.pgbridge.cli.Main;
import io.pgbridge.config.BridgeConfig;
import io.pgbridge.config.ConfigLoader;
import io.pgbridge.embedded.EmbeddedKafkaCluster;
import io.pgbridge.embedded.EmbeddedPostgresServer;
import io.pgbridge.gateway.Gateway;
import io.pgbridge.http.AdminServer;
import io.pgbridge.metrics.BridgeMetrics;
import io.pgbridge.migrate.Migrator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * {@code pgbridge demo}: everything embedded in one JVM, to watch the bridge work and to check
 * its promise end to end. Starts PostgreSQL 17 and a one-node Kafka, applies the migrations,
 * creates the compacted topic {@code generation-state} with 6 partitions, starts the bridge and
 * its HTTP endpoints, a consumer ({@link StateConsumer}), the gateway with its live page
 * ({@link DemoGateway}) and the simulated agents ({@link AgentWorkload}), and prints a progress
 * line every two seconds. When the duration is
 * over (or on Ctrl-C) it stops the writers, waits for the bridge to drain, stops it, prints a
 * summary and runs the {@link FinalStateCheck}. Called by {@code Main} through reflection on the
 * main thread; returns the exit code (0 when the check passes, 1 when it fails).
 */
public final class DemoCommand {

  static final String TOPIC = "generation-state";
  private static final int PARTITIONS = 6;
  private static final int WRITER_THREADS = 4;
  private static final long PROGRESS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(2);
  private static final long DRAIN_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(20);
  private static final long QUIET_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final DemoOptions options;
  private final PrintStream out;

  private DemoCommand(DemoOptions options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /** Entry point used by {@code pgbridge demo}; returns the process exit code. */
  public static int run(String[] args) {
    DemoOptions options;
    try {
      options = DemoOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage() + "\n");
      System.err.print(DemoOptions.USAGE);
      return ExitCodes.BAD_CONFIG;
    }
    if (options.help()) {
      System.out.print(DemoOptions.USAGE);
      return ExitCodes.OK;
    }
    if (!options.verbose()) {
      quietBridgeLogs();
    }
    try (StopSignals signals = new StopSignals(System.out)) {
      signals.install();
      return new DemoCommand(options, System.out).run(signals);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ExitCodes.FAILURE;
    }
  }

  /**
   * The bridge logs its lifecycle at INFO for operators; here the demo narrates instead, so
   * only the bridge's warnings and errors are shown (--verbose keeps everything).
   */
  private static void quietBridgeLogs() {
    if (LoggerFactory.getLogger("io.pgbridge") instanceof ch.qos.logback.classic.Logger l) {
      l.setLevel(Level.WARN);
    }
  }

  private int run(StopSignals signals) throws InterruptedException {
    out.printf(Locale.ROOT, "pgbridge demo: %d sessions, %s, debounce.ms=%d%n",
        options.sessions(), options.durationSeconds() == 0 ? "until Ctrl-C"
            : options.durationSeconds() + " s", options.debounceMs());
    EmbeddedPostgresServer postgres = null;
    EmbeddedKafkaCluster kafka = null;
    HikariDataSource pool = null;
    try {
      long t0 = System.nanoTime();
      step("starting embedded PostgreSQL 17 (unpacking binaries, initdb)");
      postgres = EmbeddedPostgresServer.start();
      done("ready on port " + postgres.port(), t0);

      step("applying the migrations (reference schema + bridge objects)");
      try (Connection c = java.sql.DriverManager.getConnection(postgres.jdbcUrl(),
          postgres.user(), postgres.password())) {
        Migrator.Result result = new Migrator("public", "generation_sessions",
            "generation_updates").migrate(c, false);
        out.println(" " + result.applied());
      }

      t0 = System.nanoTime();
      step("starting embedded Kafka (one KRaft node in this JVM)");
      kafka = withStdoutCaptured(EmbeddedKafkaCluster::start);
      done("ready at " + kafka.bootstrapServers(), t0);
      step("creating topic " + TOPIC + " (" + PARTITIONS + " partitions, cleanup.policy=compact)");
      kafka.createTopic(TOPIC, PARTITIONS, Map.of("cleanup.policy", "compact"));
      // the bridge's heartbeats (on by default) go to a topic of their own
      kafka.createTopic(TOPIC + ".heartbeat", 1,
          Map.of("cleanup.policy", "compact,delete", "retention.ms", "3600000"));
      out.println(" ok, and " + TOPIC + ".heartbeat for heartbeats");

      pool = writerPool(postgres);
      return runBridge(signals, postgres, kafka, pool);
    } catch (IOException | SQLException | RuntimeException e) {
      out.println();
      System.err.println("[demo] failed: " + e);
      e.printStackTrace(System.err);
      return ExitCodes.FAILURE;
    } finally {
      out.print("[demo] stopping embedded Kafka and PostgreSQL ...");
      if (pool != null) {
        pool.close();
      }
      if (kafka != null) {
        kafka.close();
      }
      if (postgres != null) {
        postgres.close();
      }
      out.println(" done");
    }
  }

  private int runBridge(StopSignals signals, EmbeddedPostgresServer postgres,
      EmbeddedKafkaCluster kafka, HikariDataSource pool)
      throws InterruptedException, SQLException, IOException {
    Map<String, String> settings = new HashMap<>();
    settings.put(BridgeConfig.DATABASE_URL_CONFIG, postgres.jdbcUrl());
    settings.put(BridgeConfig.DATABASE_USER_CONFIG, postgres.user());
    settings.put(BridgeConfig.DATABASE_PASSWORD_CONFIG, postgres.password());
    settings.put(BridgeConfig.KAFKA_BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    settings.put(BridgeConfig.TOPIC_CONFIG, TOPIC);
    settings.put(BridgeConfig.DEBOUNCE_MS_CONFIG, Long.toString(options.debounceMs()));
    settings.put(BridgeConfig.HTTP_PORT_CONFIG, Integer.toString(options.httpPort()));
    BridgeConfig config = ConfigLoader.fromMap(settings);

    PrometheusMeterRegistry registry = Main.newRegistry();
    Bridge bridge = new Bridge(config, registry);
    AdminServer http;
    try {
      http = new AdminServer(config.httpPort(), registry, bridge);
    } catch (BindException e) {
      System.err.println("[demo] cannot listen on port " + config.httpPort() + " ("
          + e.getMessage() + "): choose another with --http-port, or 0 for any free port");
      return ExitCodes.BAD_CONFIG;
    }
    CommitTimes commits = new CommitTimes();
    StateConsumer consumer = new StateConsumer(kafka.bootstrapServers(), TOPIC, commits);
    AgentWorkload workload = new AgentWorkload(pool, options.sessions(), WRITER_THREADS,
        commits);
    Gateway gateway = null;
    try {
      http.start();
      long t0 = System.nanoTime();
      step("starting the bridge (listener, " + config.pipelineThreads() + " workers,"
          + " checkpointer)");
      bridge.start();
      if (!awaitReady(bridge, signals)) {
        out.println();
        System.err.println("[demo] the bridge did not become ready: " + bridge.status());
        return ExitCodes.FAILURE;
      }
      done("leader, listening on " + config.channel(), t0);
      String base = "http://localhost:" + http.port();
      out.println("[demo] metrics: " + base + AdminServer.METRICS_PATH + "   status: " + base
          + AdminServer.STATUS_PATH);
      t0 = System.nanoTime();
      step("consumer: own group, reading " + TOPIC + " from the earliest offset");
      consumer.start();
      if (!consumer.awaitAssigned(60, TimeUnit.SECONDS)) {
        out.println();
        System.err.println("[demo] the consumer got no partitions within 60 s");
        return ExitCodes.FAILURE;
      }
      done("partitions assigned", t0);
      if (options.gatewayPort() >= 0) {
        step("starting the gateway (WebSocket, SSE and the live page)");
        try {
          gateway = DemoGateway.start(kafka.bootstrapServers(), TOPIC, options.gatewayPort());
        } catch (IOException e) {
          out.println();
          System.err.println("[demo] cannot start the gateway on port " + options.gatewayPort()
              + " (" + e.getMessage() + "): choose another with --gateway-port, 0 for any free"
              + " port, -1 for none");
          return ExitCodes.BAD_CONFIG;
        }
        out.println(" port " + gateway.port());
      }
      out.printf(Locale.ROOT, "[demo] workload: %d sessions on %d writer threads, a burst of"
          + " child rows + a raw_state refresh every 100-300 ms per session%n",
          options.sessions(), WRITER_THREADS);
      workload.start();
      if (gateway != null) {
        String page = "http://localhost:" + gateway.port() + "/";
        out.println("[demo] watch the sessions live: " + page + "?project="
            + workload.projects().get(0) + "   (every project: " + page + ")");
        out.println("[demo] the demo's gateway is unauthenticated (auth.mode=none): anyone who"
            + " reaches port " + gateway.port() + " sees every project");
      }

      long started = System.nanoTime();
      long deadline = options.durationSeconds() == 0 ? Long.MAX_VALUE
          : started + TimeUnit.SECONDS.toNanos(options.durationSeconds());
      long nextProgress = started + PROGRESS_EVERY_NANOS;
      while (!signals.requested() && System.nanoTime() - deadline < 0
          && bridge.failure() == null) {
        long wait = Math.min(nextProgress, deadline) - System.nanoTime();
        if (!signals.await(Math.max(0, wait)) && System.nanoTime() - nextProgress >= 0) {
          progress(started, workload, bridge, consumer);
          nextProgress += PROGRESS_EVERY_NANOS;
        }
      }
      long elapsed = System.nanoTime() - started;

      out.print("[demo] stopping the writers ...");
      workload.stop(10_000);
      out.println(" done; draining the bridge");
      long drainStart = System.nanoTime();
      boolean drained = awaitDrained(bridge, consumer);
      long drainNanos = System.nanoTime() - drainStart;
      out.print("[demo] stopping the bridge ...");
      bridge.stop();
      bridge.awaitTermination(60, TimeUnit.SECONDS);
      awaitConsumed(consumer);
      consumer.stop();
      out.println(" done");
      Summary.BridgeNumbers numbers = Summary.BridgeNumbers.of(bridge.metrics());

      FinalStateCheck.Result check = FinalStateCheck.run(pool, workload.sessions(),
          consumer.last());
      new Summary(out).print(options, elapsed, drained, drainNanos, workload, numbers,
          consumer, check, bridge.failure());
      return check.passed() && bridge.failure() == null ? ExitCodes.OK : ExitCodes.FAILURE;
    } finally {
      workload.stop(1_000);
      if (gateway != null) {
        gateway.close();
      }
      consumer.stop();
      bridge.stop();
      http.close();
      registry.close();
    }
  }

  /**
   * Runs {@code action} with {@link System#out} captured: Kafka's storage formatter prints its
   * bootstrap metadata there, and the controller warns that a fresh log is empty, which is
   * noise here. The capture is shown if {@code action} fails.
   */
  private static <T> T withStdoutCaptured(Supplier<T> action) {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      return action.get();
    } catch (RuntimeException e) {
      System.err.print(captured.toString(StandardCharsets.UTF_8));
      throw e;
    } finally {
      System.setOut(original);
    }
  }

  private static HikariDataSource writerPool(EmbeddedPostgresServer postgres) {
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(postgres.jdbcUrl());
    hc.setUsername(postgres.user());
    hc.setPassword(postgres.password());
    hc.setMaximumPoolSize(WRITER_THREADS);
    hc.setPoolName("demo-writers");
    hc.addDataSourceProperty("ApplicationName", "pgbridge-demo-agents");
    return new HikariDataSource(hc);
  }

  private static boolean awaitReady(Bridge bridge, StopSignals signals)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!bridge.ready()) {
      if (System.nanoTime() - deadline > 0 || bridge.failure() != null) {
        return false;
      }
      if (signals.await(TimeUnit.MILLISECONDS.toNanos(50))) {
        return bridge.ready();
      }
    }
    return true;
  }

  /**
   * Waits, up to 20 s, until the bridge has nothing dirty or in flight, the consumer has read
   * everything on the topic, and no record arrived for a second (the last notifications may
   * still have been on their way when the writers stopped).
   */
  private static boolean awaitDrained(Bridge bridge, StateConsumer consumer)
      throws InterruptedException {
    long deadline = System.nanoTime() + DRAIN_LIMIT_NANOS;
    while (System.nanoTime() - deadline < 0) {
      if (bridge.pendingSessions() == 0 && consumer.backlogRecords() == 0
          && consumer.idleNanos() >= QUIET_NANOS) {
        return true;
      }
      Thread.sleep(50);
    }
    return false;
  }

  /** After the bridge stopped: lets the consumer read what its last flush published. */
  private static void awaitConsumed(StateConsumer consumer) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() - deadline < 0
        && !(consumer.backlogRecords() == 0 && consumer.idleNanos() >= QUIET_NANOS / 2)) {
      Thread.sleep(50);
    }
  }

  private void progress(long started, AgentWorkload workload, Bridge bridge,
      StateConsumer consumer) {
    BridgeMetrics m = bridge.metrics();
    long rows = workload.rows().total();
    long records = (long) (m.published().count() + m.tombstones().count());
    double[] lag = percentiles(m.notificationLag(), 0.5, 0.99);
    double[] e2e = consumer.lag().millis(0.5);
    out.printf(Locale.US, "t=%ds rows=%,d notifications=%,d records=%,d ratio=%s dirty=%s"
        + " lag p50=%s p99=%s e2e p50=%s%n",
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), rows,
        (long) m.receivedTotal(), records, Summary.ratio(rows, records),
        bridge.status().get("dirtySessions"), Summary.ms(lag[0]), Summary.ms(lag[1]),
        e2e.length == 0 ? "-" : Summary.ms(e2e[0]));
    List<StateConsumer.Seen> recent = consumer.recent();
    if (!recent.isEmpty()) {
      StringJoiner samples = new StringJoiner("  ", "      ", "");
      for (StateConsumer.Seen s : recent) {
        samples.add(s.tombstone() ? Summary.shortId(s.id()) + " tombstone"
            : String.format(Locale.ROOT, "%s v%d %s %d%%", Summary.shortId(s.id()),
                s.version(), s.status(), s.progress()));
      }
      out.println(samples);
    }
  }

  /** The 0.5/0.95/0.99 percentiles the bridge's lag timers publish, in ms; NaN if absent. */
  static double[] percentiles(Timer timer, double... wanted) {
    HistogramSnapshot snapshot = timer.takeSnapshot();
    double[] out = new double[wanted.length];
    java.util.Arrays.fill(out, Double.NaN);
    for (ValueAtPercentile v : snapshot.percentileValues()) {
      for (int i = 0; i < wanted.length; i++) {
        if (Math.abs(v.percentile() - wanted[i]) < 1e-9) {
          out[i] = v.value(TimeUnit.MILLISECONDS);
        }
      }
    }
    return out;
  }

  private void step(String what) {
    out.print("[demo] " + what + " ...");
    out.flush();
  }

  private void done(String what, long startedNanos) {
    out.printf(Locale.ROOT, " %s (%.1f s)%n", what,
        (System.nanoTime() - startedNanos) / 1e9);
  }
}
