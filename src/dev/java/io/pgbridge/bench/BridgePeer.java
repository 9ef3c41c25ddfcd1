package io.pgbridge.bench;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgbridge.Bridge;
import io.pgbridge.config.BridgeConfig;
import io.pgbridge.config.ConfigLoader;
import java.util.HashMap;
import java.util.Map;

/** pgbridge itself, in process, with production defaults except the debounce window under test. */
final class BridgePeer implements Peer {

  private final int debounceMs;
  private final Map<String, String> settings = new HashMap<>();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private Bridge bridge;

  BridgePeer(int debounceMs) {
    this.debounceMs = debounceMs;
  }

  @Override
  public String name() {
    return "pgbridge-" + debounceMs;
  }

  @Override
  public void prepare(BenchInfra infra, String database, String topic) {
    settings.put(BridgeConfig.DATABASE_URL_CONFIG, infra.url(database));
    settings.put(BridgeConfig.DATABASE_USER_CONFIG, infra.user());
    settings.put(BridgeConfig.DATABASE_PASSWORD_CONFIG, infra.password());
    settings.put(BridgeConfig.KAFKA_BOOTSTRAP_SERVERS_CONFIG, infra.bootstrap());
    settings.put(BridgeConfig.TOPIC_CONFIG, topic);
    settings.put(BridgeConfig.HTTP_PORT_CONFIG, "-1");
    settings.put(BridgeConfig.DEBOUNCE_MS_CONFIG, Integer.toString(debounceMs));
    settings.put(BridgeConfig.DEBOUNCE_MAX_MS_CONFIG, Integer.toString(Math.max(1000, debounceMs)));
    // the sessions exist before the peer starts; like the other peers, publish changes only
    settings.put(BridgeConfig.CATCHUP_INITIAL_CONFIG, "none");
    settings.put(BridgeConfig.BRIDGE_ID_CONFIG, "bench");
  }

  @Override
  public void start() throws Exception {
    bridge = new Bridge(ConfigLoader.fromMap(settings), registry);
    bridge.start();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!(bridge.state().connected() && bridge.state().leader() && bridge.state().caughtUp())) {
      if (System.nanoTime() > deadline || bridge.failure() != null) {
        throw new IllegalStateException("pgbridge did not become ready: " + bridge.failure());
      }
      Thread.sleep(20);
    }
  }

  @Override
  public long notifications() {
    return (long) registry.find("pgbridge.notifications.received").counters().stream()
        .mapToDouble(Counter::count).sum();
  }

  @Override
  public String notes() {
    double skipped = registry.find("pgbridge.records.skipped").counters().stream()
        .mapToDouble(Counter::count).sum();
    double published = registry.find("pgbridge.records.published").counters().stream()
        .mapToDouble(Counter::count).sum();
    return String.format("published %.0f, skipped as unchanged %.0f", published, skipped);
  }

  @Override
  public void close() {
    if (bridge != null) {
      bridge.stop();
      bridge = null; // so that the heap it retained can be measured as freed
    }
  }
}
