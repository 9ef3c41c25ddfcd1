package io.pgbridge.cli;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgbridge.Bridge;
import io.pgbridge.Versions;
import io.pgbridge.config.BridgeConfig;
import io.pgbridge.config.ConfigDocs;
import io.pgbridge.config.ConfigLoader;
import io.pgbridge.config.ConfigProblems;
import io.pgbridge.http.AdminServer;
import io.pgbridge.listen.ListenerConnector;
import io.pgbridge.listen.SqlErrors;
import io.pgbridge.migrate.Migrator;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The {@code pgbridge} command line: {@code run}, {@code migrate}, {@code check},
 * {@code republish}, {@code demo},
 * {@code config-docs} (and {@code bench} in a development build). Parses arguments, loads and
 * validates configuration before anything connects, and maps outcomes to {@link ExitCodes}.
 */
public final class Main {

  static final String USAGE = """
      Usage: pgbridge [--config FILE] COMMAND [OPTIONS]

      Turns PostgreSQL LISTEN/NOTIFY signals into keyed, ordered, de-duplicated state records
      on Kafka.

      Commands:
        run            run the bridge until SIGTERM or Ctrl-C
        migrate        apply the SQL migrations (--bridge-only: skip the reference schema)
        check          validate configuration and connect to PostgreSQL and Kafka, then exit
        republish      publish sessions again (--session ID... | --project ID | --all), carried
                       out by the leading instance; --wait follows it (pgbridge republish --help)
        demo           start embedded PostgreSQL and Kafka, a simulated workload and the bridge
                       (--duration SECONDS, default 60; 0 runs until Ctrl-C). Source checkout only.
        config-docs    print every setting with type, default and documentation
                       (--format markdown|text|properties)
        bench          benchmarks (source checkout only; pgbridge bench --help)

      Options:
        --config FILE  properties file (default: $PGBRIDGE_CONFIG, else environment only).
                       Every key can be overridden by PGBRIDGE_<KEY> (dots as underscores).
        --help         this text
        --version      print the version

      Exit codes: 0 ok (also after SIGTERM/Ctrl-C), 1 runtime failure, 2 bad configuration or
      usage, 3 database or Kafka unusable (unreachable, credentials, schema, topic, privileges),
      4 republish --wait gave up before the request was done.
      """;

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, System.getenv()));
  }

  /** Runs a command; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    Path configFile = env.containsKey("PGBRIDGE_CONFIG") ? Path.of(env.get("PGBRIDGE_CONFIG"))
        : null;
    for (int i = 0; i < rest.size(); i++) {
      String a = rest.get(i);
      if (a.equals("--help") || a.equals("-h")) {
        if (!rest.isEmpty() && (rest.get(0).equals("demo") || rest.get(0).equals("bench"))) {
          break;
        }
        if (!rest.isEmpty() && rest.get(0).equals("republish")) {
          out.print(RepublishCommand.USAGE);
          return ExitCodes.OK;
        }
        out.print(USAGE);
        return ExitCodes.OK;
      }
      if (a.equals("--version")) {
        out.println("pgbridge " + Versions.pgbridge() + " (kafka-clients "
            + Versions.kafkaClient() + ")");
        return ExitCodes.OK;
      }
      if (a.equals("--config") || a.startsWith("--config=")) {
        String value = a.contains("=") ? a.substring(a.indexOf('=') + 1)
            : (i + 1 < rest.size() ? rest.remove(i + 1) : null);
        if (value == null || value.isEmpty()) {
          err.println("--config needs a file");
          return ExitCodes.BAD_CONFIG;
        }
        configFile = Path.of(value);
        rest.remove(i--);
      }
    }
    if (rest.isEmpty()) {
      err.print(USAGE);
      return ExitCodes.BAD_CONFIG;
    }
    String command = rest.remove(0);
    for (String name : ConfigLoader.unknownVariables(env)) {
      err.println("warning: environment variable " + name + " names no setting and is ignored"
          + " (see 'pgbridge config-docs')");
    }
    try {
      return switch (command) {
        case "config-docs" -> configDocs(rest, out, err);
        case "run" -> runBridge(ConfigLoader.load(configFile, env), out, err);
        case "migrate" -> migrate(ConfigLoader.load(configFile, env), rest, out, err);
        case "check" -> check(ConfigLoader.load(configFile, env), out, err);
        case "republish" -> RepublishCommand.run(ConfigLoader.load(configFile, env), rest, out,
            err, java.time.Clock.systemUTC());
        case "demo" -> devCommand("io.pgbridge.demo.DemoCommand", rest, err);
        case "bench" -> devCommand("io.pgbridge.bench.BenchCommand", rest, err);
        default -> {
          err.println("unknown command '" + command + "'\n");
          err.print(USAGE);
          yield ExitCodes.BAD_CONFIG;
        }
      };
    } catch (ConfigProblems e) {
      err.println(e.getMessage());
      return ExitCodes.BAD_CONFIG;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ExitCodes.FAILURE;
    }
  }

  private static int configDocs(List<String> rest, PrintStream out, PrintStream err) {
    String format = "markdown";
    for (int i = 0; i < rest.size(); i++) {
      if (rest.get(i).equals("--format") && i + 1 < rest.size()) {
        format = rest.get(++i);
      } else if (rest.get(i).startsWith("--format=")) {
        format = rest.get(i).substring("--format=".length());
      } else {
        err.println("config-docs: unexpected argument " + rest.get(i));
        return ExitCodes.BAD_CONFIG;
      }
    }
    switch (format) {
      case "markdown" -> out.print(ConfigDocs.markdown());
      case "text" -> out.print(BridgeConfig.configDef().toRst());
      case "properties" -> out.print(ConfigDocs.properties());
      default -> {
        err.println("config-docs: --format is markdown, text or properties");
        return ExitCodes.BAD_CONFIG;
      }
    }
    return ExitCodes.OK;
  }

  private static int check(BridgeConfig config, PrintStream out, PrintStream err)
      throws InterruptedException {
    out.println("configuration: ok");
    List<String> warnings = new ArrayList<>();
    List<String> problems = Preflight.run(config, warnings);
    warnings.forEach(w -> out.println("warning: " + w));
    if (!problems.isEmpty()) {
      problems.forEach(p -> err.println("problem: " + p));
      return ExitCodes.UNAVAILABLE;
    }
    out.println("database: ok; kafka: ok; topic " + config.topic() + ": ok");
    return ExitCodes.OK;
  }

  private static int migrate(BridgeConfig config, List<String> rest, PrintStream out,
      PrintStream err) {
    boolean bridgeOnly = rest.remove("--bridge-only");
    if (!rest.isEmpty()) {
      err.println("migrate: unexpected argument " + rest.get(0));
      return ExitCodes.BAD_CONFIG;
    }
    Migrator migrator = new Migrator(config.schema(), config.sessionsTable(), config.channel());
    ListenerConnector connector = new ListenerConnector(config.databaseUrl(),
        config.databaseUser(), config.databasePassword().value(), "pgbridge-migrate");
    Connection c;
    try {
      c = connector.open();
    } catch (SQLException e) {
      // like check and run: a database that cannot be reached or logged into is "unusable",
      // whatever retrying could do about it
      err.println("migrate: cannot connect: " + SqlErrors.describe(e));
      return ExitCodes.UNAVAILABLE;
    }
    try (c) {
      Migrator.Result result = migrator.migrate(c, bridgeOnly);
      out.println("applied: " + (result.applied().isEmpty() ? "nothing new" : result.applied()));
      if (!result.skipped().isEmpty()) {
        out.println("already applied or skipped: " + result.skipped());
      }
      return ExitCodes.OK;
    } catch (SQLException e) {
      err.println("migrate failed: " + SqlErrors.describe(e));
      return SqlErrors.isTransient(e) ? ExitCodes.UNAVAILABLE : ExitCodes.FAILURE;
    }
  }

  private static int runBridge(BridgeConfig config, PrintStream out, PrintStream err)
      throws InterruptedException {
    List<String> warnings = new ArrayList<>();
    List<String> problems = Preflight.run(config, warnings);
    warnings.forEach(w -> err.println("warning: " + w));
    if (!problems.isEmpty()) {
      problems.forEach(p -> err.println("problem: " + p));
      return ExitCodes.UNAVAILABLE;
    }
    PrometheusMeterRegistry registry = newRegistry();
    Bridge bridge = new Bridge(config, registry);
    // before the start: a SIGTERM while starting (a rollout right after a deploy) still stops
    // gracefully and exits 0, instead of taking the JVM's default of 143
    CountDownLatch finished = Signals.onTerminate(bridge::stop);
    AdminServer http = null;
    try {
      if (config.httpPort() >= 0) {
        http = new AdminServer(config.httpPort(), registry, bridge);
        http.start();
      }
      bridge.start();
      bridge.awaitTermination();
      return bridge.failure() == null ? ExitCodes.OK : ExitCodes.FAILURE;
    } catch (java.io.IOException e) {
      err.println("cannot open http.port " + config.httpPort() + ": " + e.getMessage());
      bridge.stop();
      return ExitCodes.BAD_CONFIG;
    } finally {
      if (http != null) {
        http.close();
      }
      registry.close();
      finished.countDown();
    }
  }

  /** A Prometheus registry with JVM and process metrics bound. */
  public static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    return registry;
  }

  private static int devCommand(String className, List<String> rest, PrintStream err) {
    Class<?> type;
    try {
      type = Class.forName(className);
    } catch (ClassNotFoundException e) {
      err.println("this command needs the development build (embedded PostgreSQL and Kafka"
          + " are not in the production jar): run ./pgbridge from a source checkout");
      return ExitCodes.BAD_CONFIG;
    }
    try {
      Method main = type.getMethod("run", String[].class);
      return (Integer) main.invoke(null, (Object) rest.toArray(new String[0]));
    } catch (ReflectiveOperationException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      err.println(className + " failed: " + cause);
      cause.printStackTrace(err);
      return ExitCodes.FAILURE;
    }
  }
}
