package io.pgbridge.cli;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgbridge.Bridge;
import io.pgbridge.Versions;
import io.pgbridge.config.BridgeConfig;
import io.pgbridge.config.ConfigDocs;
import io.pgbridge.config.ConfigLoader;
import io.pgbridge.config.ConfigProblems;
import io.pgbridge.http.AdminServer;
import io.pgbridge.source.notify.ListenerConnector;
import io.pgbridge.connection.SqlErrors;
import io.pgbridge.migrate.MigrationScript;
import io.pgbridge.migrate.Migrator;
import io.pgbridge.source.SourceMode;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code pgbridge} command line: the commands of {@link #COMMANDS} ({@code run},
 * {@code migrate}, {@code check}, {@code republish}, {@code demo}, {@code config-docs},
 * {@code gateway}, and {@code bench} in a development build), each with its own {@code --help}. Parses the global options, loads and
 * validates configuration before anything connects, and maps outcomes to {@link ExitCodes}.
 * Runs on the calling thread.
 */
public final class Main {

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private static final String HEADER = """
      Usage: pgbridge [--config FILE] COMMAND [OPTIONS]

      Turns PostgreSQL LISTEN/NOTIFY signals into keyed, ordered, de-duplicated state records
      on Kafka.

      """;

  private static final String FOOTER = """

      Options:
        --config FILE  properties file (default: $PGBRIDGE_CONFIG, else environment only).
                       Every key can be overridden by PGBRIDGE_<KEY> (dots as underscores).
        --help         this text; 'pgbridge COMMAND --help' describes one command
        --version      print the version

      Exit codes: 0 ok (also after SIGTERM/Ctrl-C), 1 runtime failure, 2 bad configuration or
      usage, 3 database or Kafka unusable (unreachable, credentials, schema, topic, privileges),
      4 republish --wait gave up before the request was done.
      """;

  /** Exit codes of the commands that load the configuration and connect. */
  private static final String CONNECTING_EXIT_CODES = """

      Exit codes: 0 ok, 1 failed at run time, 2 bad configuration or usage (nothing was
      connected), 3 PostgreSQL or Kafka unusable (unreachable, credentials, schema, topic).
      """;

  /**
   * Every command, in the order {@code --help} lists them. A new command is one entry: name,
   * summary line, its own help text and its handler.
   */
  static final List<Command> COMMANDS = List.of(
      Command.of("run", "run the bridge until SIGTERM or Ctrl-C", """
          Usage: pgbridge [--config FILE] run

          Validates the configuration, checks PostgreSQL, Kafka, the schema and the topic (as
          'check' does), then runs the bridge: listener, coalescer, fetcher, publisher and
          checkpoints, with /metrics, /healthz, /readyz and /status on http.port. On SIGTERM
          or Ctrl-C it publishes what is dirty or in flight (bounded by shutdown.timeout.ms),
          stores a final checkpoint and exits 0.
          """ + CONNECTING_EXIT_CODES,
          in -> in.noArguments("run")
              ? logged(in, (config, logging) -> runBridge(config, logging, in.err()))
              : ExitCodes.BAD_CONFIG),
      Command.of("migrate", "apply the SQL migrations (--bridge-only: skip the reference"
          + " schema;\n--print: write the SQL instead of applying it)", """
          Usage: pgbridge [--config FILE] migrate [--bridge-only] [--print]
                          [--source-mode notify|wal]

          Applies the SQL migrations of this build that are not yet recorded in
          <database.schema>.pgbridge_schema_history, in one transaction, with database.schema,
          sessions.table and listen.channel filled in. A recorded file whose filled-in text
          changed (another channel, say) is applied again, with every file after it. Then,
          in the same transaction, puts the database in the source mode and records it:
          notify's pg_notify triggers, or wal's publication (wal.publication.name) and
          replica identities; the other mode's objects are dropped. Leaving wal also drops
          the replication slots the WAL bridges recorded, and refuses (changing nothing)
          while one of them is active: stop those bridges first.

          Options:
            --bridge-only  skip the reference schema of the four tables (V001): for an
                           application schema that already has them
            --source-mode  notify or wal (default: source.mode); bridges in the other mode
                           refuse to start afterwards
            --print        write the SQL to standard output instead of applying it: every
                           file in order, placeholders filled, each followed by the insert
                           into pgbridge_schema_history that 'migrate' records, so that a
                           later 'migrate' finds it applied. Connects to nothing, but
                           reads the same configuration (for the names it fills in). Apply
                           it in one transaction (psql --single-transaction -v
                           ON_ERROR_STOP=1) or as one Flyway or Liquibase change.
          """ + CONNECTING_EXIT_CODES,
          in -> logged(in, (config, logging) -> migrate(config, new ArrayList<>(in.args()),
              in.out(), in.err()))),
      Command.of("check", "validate configuration and connect to PostgreSQL and Kafka, then"
          + " exit", """
          Usage: pgbridge [--config FILE] check

          Validates the configuration (every problem at once), then connects to PostgreSQL
          and Kafka with it: the sessions table has the columns the bridge needs, every
          bridge migration is applied, the database is migrated for source.mode, the
          triggers notify listen.channel (notify) or, with source.mode=wal, wal_level, the
          replication privilege, a free slot, the publication and the replica identities
          are what the WAL source needs, and the topic exists (created when
          topic.creation.enable=true), as does the dead letter topic when one is
          configured. Changes nothing else.
          """ + CONNECTING_EXIT_CODES,
          in -> in.noArguments("check")
              ? logged(in, (config, logging) -> check(config, in.out(), in.err()))
              : ExitCodes.BAD_CONFIG),
      Command.of("republish", "publish sessions again (--session ID... | --project ID | --all),"
          + " carried\nout by the leading instance; --wait follows it", RepublishCommand.USAGE,
          in -> logged(in, (config, logging) -> RepublishCommand.run(config,
              new ArrayList<>(in.args()), in.out(), in.err(), java.time.Clock.systemUTC()))),
      new Command("demo", "start embedded PostgreSQL and Kafka, a simulated workload and the"
          + " bridge\n(--duration SECONDS, default 60; 0 runs until Ctrl-C). Source checkout"
          + " only.", "", true,
          in -> devCommand("io.pgbridge.demo.DemoCommand", in.args(), in.err())),
      Command.of("config-docs", "print every setting with type, default and documentation\n"
          + "(--format markdown|text|properties)", """
          Usage: pgbridge config-docs [--format markdown|text|properties]

          Prints every setting with its type, default, valid values and documentation:
          markdown (default) is the README's table, properties a commented sample file, text
          Kafka's reStructuredText listing. Needs no configuration.

          Exit codes: 0 ok, 2 unknown format or argument.
          """,
          in -> configDocs(in.args(), in.out(), in.err())),
      new Command("gateway", "the WebSocket/SSE gateway: a separate artifact,\n"
          + "target/pgbridge-gateway.jar (pgbridge gateway --help)", "", true,
          Main::gateway),
      new Command("bench", "benchmarks (source checkout only; pgbridge bench --help)", "", true,
          in -> devCommand("io.pgbridge.bench.BenchCommand", in.args(), in.err())));

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, System.getenv()));
  }

  /** The text of {@code pgbridge --help}: usage, the command list, options, exit codes. */
  static String usage() {
    StringBuilder out = new StringBuilder(HEADER).append("Commands:\n");
    for (Command c : COMMANDS) {
      String[] lines = c.summary().split("\n");
      out.append(String.format("  %-13s  %s%n", c.name(), lines[0]));
      for (int i = 1; i < lines.length; i++) {
        out.append(" ".repeat(17)).append(lines[i]).append('\n');
      }
    }
    return out.append(FOOTER).toString();
  }

  /** The first argument that is neither an option nor the value of {@code --config}. */
  private static Optional<String> commandName(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).equals("--config")) {
        i++;
      } else if (!args.get(i).startsWith("-")) {
        return Optional.of(args.get(i));
      }
    }
    return Optional.empty();
  }

  private static Optional<Command> command(String name) {
    return COMMANDS.stream().filter(c -> c.name().equals(name)).findFirst();
  }

  /** Runs a command; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    Path configFile = env.containsKey("PGBRIDGE_CONFIG") ? Path.of(env.get("PGBRIDGE_CONFIG"))
        : null;
    // global options may come before or after the command; a command that parses --help
    // itself (demo, bench) gets everything after its name untouched
    Optional<Command> named = commandName(rest).flatMap(Main::command);
    boolean passHelp = named.isPresent() && named.get().ownHelp();
    for (int i = 0; i < rest.size(); i++) {
      String a = rest.get(i);
      if ((a.equals("--help") || a.equals("-h")) && !passHelp) {
        out.print(named.map(Command::help).orElseGet(Main::usage));
        return ExitCodes.OK;
      }
      if (a.equals("--version")) {
        out.println("pgbridge " + Versions.pgbridge() + " (kafka-clients "
            + Versions.kafkaClient() + ", pgjdbc " + Versions.pgjdbc() + ")");
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
      err.print(usage());
      return ExitCodes.BAD_CONFIG;
    }
    String name = rest.remove(0);
    if (name.equals("help")) {
      Optional<Command> topic = rest.isEmpty() ? Optional.empty() : command(rest.get(0));
      if (!rest.isEmpty() && topic.isEmpty()) {
        err.println("unknown command '" + rest.get(0) + "'\n");
        err.print(usage());
        return ExitCodes.BAD_CONFIG;
      }
      out.print(topic.filter(c -> !c.ownHelp()).map(Command::help).orElseGet(Main::usage));
      return ExitCodes.OK;
    }
    Optional<Command> command = command(name);
    if (command.isEmpty()) {
      err.println("unknown command '" + name + "'\n");
      err.print(usage());
      return ExitCodes.BAD_CONFIG;
    }
    // the gateway reads PGBRIDGE_GATEWAY_* variables of its own
    for (String variable : name.equals("gateway") ? List.<String>of()
        : ConfigLoader.unknownVariables(env)) {
      err.println("warning: environment variable " + variable + " names no setting and is"
          + " ignored (see 'pgbridge config-docs')");
    }
    try {
      return command.get().handler().run(
          new Command.Invocation(List.copyOf(rest), configFile, env, out, err));
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
    List<String> notes = new ArrayList<>();
    List<String> problems = Preflight.run(config, warnings, notes);
    warnings.forEach(w -> report(config, out, "warning: ", w));
    notes.forEach(n -> out.println("source.mode=" + config.sourceMode().value() + ": " + n));
    if (!problems.isEmpty()) {
      problems.forEach(p -> report(config, err, "problem: ", p));
      return ExitCodes.UNAVAILABLE;
    }
    out.println("database: ok; kafka: ok; topic " + config.topic() + ": ok");
    return ExitCodes.OK;
  }

  private static int migrate(BridgeConfig config, List<String> rest, PrintStream out,
      PrintStream err) {
    boolean bridgeOnly = rest.remove("--bridge-only");
    boolean print = rest.remove("--print");
    SourceMode mode;
    try {
      mode = sourceModeOption(rest, config.sourceMode());
    } catch (IllegalArgumentException e) {
      err.println("migrate: " + e.getMessage());
      return ExitCodes.BAD_CONFIG;
    }
    if (!rest.isEmpty()) {
      err.println("migrate: unexpected argument " + rest.get(0) + " (pgbridge migrate --help)");
      return ExitCodes.BAD_CONFIG;
    }
    Migrator migrator = new Migrator(config.schema(), config.sessionsTable(), config.channel(),
        mode, config.walPublicationName());
    if (print) {
      out.print(MigrationScript.render(migrator, bridgeOnly));
      return ExitCodes.OK;
    }
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
      out.println("source mode " + mode.value() + (result.modeChanges().isEmpty()
          ? ": nothing to change" : ":"));
      result.modeChanges().forEach(change -> out.println("  " + change));
      if (mode != config.sourceMode()) {
        out.println("note: source.mode is " + config.sourceMode().value() + " in this"
            + " configuration; bridges start only with source.mode=" + mode.value());
      }
      return ExitCodes.OK;
    } catch (SQLException e) {
      err.println("migrate failed: " + SqlErrors.describe(e));
      return SqlErrors.isTransient(e) ? ExitCodes.UNAVAILABLE : ExitCodes.FAILURE;
    }
  }

  /**
   * Removes {@code --source-mode X} (or {@code --source-mode=X}) from {@code rest} and returns
   * its mode, {@code configured} when absent.
   */
  static SourceMode sourceModeOption(List<String> rest, SourceMode configured) {
    SourceMode mode = configured;
    for (int i = 0; i < rest.size(); ) {
      String arg = rest.get(i);
      String value;
      if (arg.startsWith("--source-mode=")) {
        value = arg.substring("--source-mode=".length());
        rest.remove(i);
      } else if (arg.equals("--source-mode")) {
        if (i + 1 == rest.size()) {
          throw new IllegalArgumentException("--source-mode needs notify or wal");
        }
        value = rest.get(i + 1);
        rest.subList(i, i + 2).clear();
      } else {
        i++;
        continue;
      }
      try {
        mode = SourceMode.of(value);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--source-mode must be notify or wal, not '" + value
            + "'");
      }
    }
    return mode;
  }

  private static int runBridge(BridgeConfig config, Logging logging, PrintStream err)
      throws InterruptedException {
    PrometheusMeterRegistry registry = newRegistry();
    // created (not started) before the checks, so that their log lines carry its instance id
    Bridge bridge = new Bridge(config, registry);
    logging.bridge(bridge.instanceId(), () -> bridge.state().role());
    // before the start: a SIGTERM while starting (a rollout right after a deploy) still stops
    // gracefully and exits 0, instead of taking the JVM's default of 143
    CountDownLatch finished = Signals.onTerminate(bridge::stop);
    AdminServer http = null;
    try {
      if (config.httpPort() >= 0) {
        http = new AdminServer(config.httpPort(), registry, bridge);
        http.start();
      }
      // transient problems (the database restarting, Kafka not up yet) are waited out here,
      // alive and not ready; the rest end the start with the documented exit code (in JSON
      // mode every line on stderr is a log event, the findings too)
      switch (new StartupWait(config, bridge,
          (prefix, message) -> report(config, err, prefix, message)).await()) {
        case FATAL -> {
          bridge.stop();
          return ExitCodes.UNAVAILABLE;
        }
        case STOPPED -> {
          return ExitCodes.OK;
        }
        case READY -> { }
      }
      bridge.start();
      bridge.awaitTermination();
      return bridge.failure() == null ? ExitCodes.OK : ExitCodes.FAILURE;
    } catch (java.io.IOException e) {
      report(config, err, "", "cannot open http.port " + config.httpPort() + ": "
          + e.getMessage());
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

  /** A check's finding: a line on {@code stream}, or with log.format=json a log event. */
  private static void report(BridgeConfig config, PrintStream err, String prefix,
      String message) {
    if (!config.jsonLogs()) {
      err.println(prefix + message);
    } else if (prefix.startsWith("warning")) {
      log.warn(message);
    } else {
      log.error(message);
    }
  }

  /** Loads the configuration and runs {@code handler} with the logging it asks for. */
  private static int logged(Command.Invocation in, Configured handler)
      throws InterruptedException {
    BridgeConfig config = in.config();
    try (Logging logging = Logging.configure(config, in.err())) {
      return handler.run(config, logging);
    }
  }

  /** A command body that needs the loaded configuration. */
  @FunctionalInterface
  private interface Configured {
    int run(BridgeConfig config, Logging logging) throws InterruptedException;
  }

  /**
   * A Prometheus registry with JVM and process metrics bound, where no meter (pgbridge's or a
   * library's) publishes client-side percentiles: a quantile computed in one replica cannot be
   * aggregated with another's, histogram buckets can.
   */
  public static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id,
          DistributionStatisticConfig config) {
        return DistributionStatisticConfig.builder().percentiles().build().merge(config);
      }
    });
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    return registry;
  }

  /**
   * The gateway is its own artifact (Jetty and the JWT library are not in the bridge's jar):
   * run it when it is on the class path (a source checkout's development build), otherwise say
   * where it lives.
   */
  private static int gateway(Command.Invocation in) {
    // --config was taken as a global option; a file named only by $PGBRIDGE_CONFIG is the
    // bridge's, not the gateway's (which reads $PGBRIDGE_GATEWAY_CONFIG)
    List<String> args = new ArrayList<>(List.of("gateway"));
    String fromEnv = in.env().get("PGBRIDGE_CONFIG");
    if (in.configFile() != null && !in.configFile().toString().equals(fromEnv)) {
      args.add("--config");
      args.add(in.configFile().toString());
    }
    args.addAll(in.args());
    PrintStream out = in.out();
    PrintStream err = in.err();
    try {
      Method run = Class.forName("io.pgbridge.gateway.GatewayMain").getMethod("run",
          String[].class, PrintStream.class, PrintStream.class, Map.class);
      return (Integer) run.invoke(null, args.toArray(String[]::new), out, err, in.env());
    } catch (ClassNotFoundException | NoSuchMethodException e) {
      err.println("the gateway is not in the bridge's jar: run java -jar pgbridge-gateway.jar"
          + " (target/pgbridge-gateway.jar with target/lib and target/gateway-lib; in a source"
          + " checkout ./pgbridge gateway; in the image, the 'gateway' build target)");
      return ExitCodes.BAD_CONFIG;
    } catch (ReflectiveOperationException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      err.println("gateway failed: " + cause);
      return ExitCodes.FAILURE;
    }
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
