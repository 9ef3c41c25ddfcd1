package io.pgbridge.gateway;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgbridge.gateway.auth.Authenticator;
import io.pgbridge.gateway.auth.Authenticators;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code pgbridge gateway}: the command line of the gateway artifact
 * ({@code target/pgbridge-gateway.jar}). Loads and validates the configuration before anything
 * connects, runs the gateway until SIGTERM or Ctrl-C, and prints its configuration
 * documentation. Exit codes as the bridge's: 0 ok, 1 failure, 2 bad configuration or usage.
 */
public final class GatewayMain {

  static final String USAGE = """
      Usage: pgbridge gateway [--config FILE] [COMMAND]

      Serves the state topic to browsers: WebSocket and Server-Sent Events on /stream,
      GET /sessions/{id}, a live page at /, and /metrics, /healthz, /readyz, /status.

      Commands:
        run            (default) run until SIGTERM or Ctrl-C
        config-docs    print every setting (--format markdown|properties)

      Options:
        --config FILE  properties file (default: $PGBRIDGE_GATEWAY_CONFIG, else environment
                       only). Every key can be overridden by PGBRIDGE_GATEWAY_<KEY>.
        --help         this text

      Exit codes: 0 ok (also after SIGTERM/Ctrl-C), 1 runtime failure, 2 bad configuration.
      """;

  private GatewayMain() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, System.getenv()));
  }

  public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    Path file = env.containsKey("PGBRIDGE_GATEWAY_CONFIG")
        ? Path.of(env.get("PGBRIDGE_GATEWAY_CONFIG")) : null;
    String command = "run";
    String format = "markdown";
    for (int i = 0; i < rest.size(); i++) {
      String a = rest.get(i);
      switch (a) {
        case "--help", "-h" -> {
          out.print(USAGE);
          return 0;
        }
        case "--config" -> {
          if (i + 1 >= rest.size()) {
            err.println("--config needs a file");
            return 2;
          }
          file = Path.of(rest.get(++i));
        }
        case "--format" -> {
          if (i + 1 >= rest.size()) {
            err.println("--format needs markdown or properties");
            return 2;
          }
          format = rest.get(++i);
        }
        case "run", "config-docs" -> command = a;
        case "gateway" -> {
          // the launcher and the bridge's CLI pass their command word along
        }
        default -> {
          err.println("unknown argument '" + a + "'\n");
          err.print(USAGE);
          return 2;
        }
      }
    }
    if (command.equals("config-docs")) {
      switch (format) {
        case "markdown" -> out.print(GatewayConfigDocs.markdown());
        case "properties" -> out.print(GatewayConfigDocs.properties());
        default -> {
          err.println("config-docs: --format is markdown or properties");
          return 2;
        }
      }
      return 0;
    }
    for (String name : GatewayConfigLoader.unknownVariables(env)) {
      err.println("warning: environment variable " + name + " names no setting and is ignored");
    }
    GatewayConfig config;
    Authenticator authenticator;
    try {
      config = GatewayConfigLoader.load(file, env);
      authenticator = Authenticators.create(config, Clock.systemUTC());
    } catch (GatewayConfigException e) {
      err.println(e.getMessage());
      return 2;
    } catch (IllegalArgumentException e) {
      err.println("1 configuration problem(s):\n  - " + e.getMessage());
      return 2;
    }
    PrometheusMeterRegistry registry = newRegistry();
    Gateway gateway = new Gateway(config, registry, authenticator, Clock.systemUTC());
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      stop.countDown();
      try {
        stopped.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "gateway-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      gateway.start();
      out.println("pgbridge gateway listening on port " + gateway.port());
      stop.await();
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } catch (Exception e) {
      err.println("gateway failed: " + e);
      return 1;
    } finally {
      gateway.close();
      registry.close();
      stopped.countDown();
    }
  }

  static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    return registry;
  }
}
