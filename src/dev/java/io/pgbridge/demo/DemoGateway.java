package io.pgbridge.demo;

import io.pgbridge.gateway.Gateway;
import io.pgbridge.gateway.GatewayConfigLoader;
import io.pgbridge.gateway.auth.OpenAccess;
import java.io.IOException;
import java.time.Clock;
import java.util.Map;

/**
 * The demo's gateway: the reference gateway on the demo's topic, unauthenticated (the demo
 * says so when it prints the page's address), with its own metrics registry. Started and closed
 * by {@link DemoCommand} on the main thread.
 */
final class DemoGateway {

  private DemoGateway() {}

  /** Starts a gateway on {@code port} (0: any free port). */
  static Gateway start(String bootstrap, String topic, int port) throws IOException {
    // the demo prints its own notice that it runs unauthenticated, with the page's address
    if (org.slf4j.LoggerFactory.getLogger(Gateway.class)
        instanceof ch.qos.logback.classic.Logger l) {
      l.setLevel(ch.qos.logback.classic.Level.ERROR);
    }
    Gateway gateway = new Gateway(GatewayConfigLoader.fromMap(Map.of(
        "kafka.bootstrap.servers", bootstrap,
        "topic", topic,
        "http.port", Integer.toString(port),
        "auth.mode", "none")), io.pgbridge.cli.Main.newRegistry(), new OpenAccess(),
        Clock.systemUTC());
    try {
      gateway.start();
    } catch (IOException e) {
      gateway.close();
      throw e;
    } catch (Exception e) {
      gateway.close();
      throw new IOException("the gateway did not start: " + e, e);
    }
    return gateway;
  }
}
