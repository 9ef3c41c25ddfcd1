package io.pgbridge.browser;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgbridge.Bridge;
import io.pgbridge.gateway.Gateway;
import io.pgbridge.gateway.GatewayConfig;
import io.pgbridge.gateway.GatewayConfigLoader;
import io.pgbridge.gateway.auth.OpenAccess;
import io.pgbridge.testing.BridgeHarness;
import io.pgbridge.testing.SessionWriter;
import io.pgbridge.testing.TestInfra;
import java.net.ServerSocket;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.WindowType;

/**
 * The seed design's test plan, as assertions on what a person sees in a real browser: headless
 * Chromium on the gateway's page, against embedded PostgreSQL and Kafka, a real bridge and the
 * gateway. Updates arrive while a run goes on; a dropped socket and a gateway restart come back
 * to the latest state; a refresh shows the current state at once; three tabs end on the same
 * states as the database; a deleted session disappears; the indicator turns stale when the
 * bridge's heartbeats stop. A failing test leaves screenshots of every tab in
 * {@code target/browser-screenshots}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BrowserIT {

  private static final Duration SHOWN = Duration.ofSeconds(20);

  private static BridgeHarness harness;
  private static Bridge bridge;
  private static Gateway gateway;
  private static int port;
  private static String heartbeatTopic;
  private static HeartbeatWriter heartbeats;
  private Browser browser;

  /** Runs right after the test method, before {@code @AfterEach} closes the browser. */
  @RegisterExtension
  final AfterTestExecutionCallback screenshotsOnFailure = context -> {
    if (browser != null && context.getExecutionException().isPresent()) {
      System.err.println("screenshots of the failed test: "
          + browser.screenshots(context.getRequiredTestMethod().getName()));
    }
  };

  @BeforeAll
  static void start() throws Exception {
    Browser.requireInstalled();
    harness = BridgeHarness.create("browser_it", 3);
    bridge = harness.startBridge(Map.of("debounce.ms", "50"));
    heartbeatTopic = TestInfra.newTopic("browser-it-hb", 1);
    heartbeats = new HeartbeatWriter(harness.bootstrap(), harness.topic(), heartbeatTopic, 300);
    heartbeats.start();
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    gateway = startGateway();
  }

  private static Gateway startGateway() throws Exception {
    Map<String, String> settings = new HashMap<>();
    settings.put("kafka.bootstrap.servers", harness.bootstrap());
    settings.put("topic", harness.topic());
    settings.put("heartbeat.topic", heartbeatTopic);
    settings.put("http.host", "127.0.0.1");
    settings.put("http.port", Integer.toString(port));
    settings.put("auth.mode", "none");
    settings.put("client.heartbeat.interval.ms", "300");
    GatewayConfig config = GatewayConfigLoader.fromMap(settings);
    Gateway g = new Gateway(config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT),
        new OpenAccess(), Clock.systemUTC());
    g.start();
    Awaitility.await().atMost(SHOWN).until(g::ready);
    return g;
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
    if (heartbeats != null) {
      heartbeats.close();
    }
    if (bridge != null) {
      bridge.stop();
    }
  }

  @BeforeEach
  void openBrowser() throws Exception {
    browser = new Browser();
  }

  @AfterEach
  void closeBrowser() {
    if (browser != null) {
      browser.close();
    }
  }

  private static String state(String status, int progress, int todosDone, String lastTool) {
    return "{\"status\":\"" + status + "\",\"progress\":" + progress + ",\"phase\":\"building\","
        + "\"todos\":{\"total\":5,\"completed\":" + todosDone + ",\"pending\":" + (5 - todosDone)
        + "},\"toolCalls\":{\"total\":" + progress / 10 + ",\"lastTool\":\"" + lastTool + "\"}}";
  }

  private void open(UUID project) {
    browser.driver.get("http://127.0.0.1:" + port + "/?project=" + project);
    awaitSynced();
  }

  private void awaitSynced() {
    browser.until("the page subscribed and got the current states", SHOWN,
        b -> "true".equals(b.script("return document.body.dataset.synced;")));
  }

  private void awaitShown(UUID session, long version, String status) {
    browser.until("session " + session + " shown at v" + version + " " + status, SHOWN, b -> {
      Browser.Card c = b.cards().get(session.toString());
      return c != null && c.version() == version && c.status().equals(status);
    });
  }

  private static long dbVersion(Connection c, UUID id) throws Exception {
    return SessionWriter.snapshot(c).get(id).version();
  }

  @Test
  void updatesArriveWhileTheRunGoesOn() throws Exception {
    UUID project = UUID.randomUUID();
    UUID session = UUID.randomUUID();
    try (Connection c = harness.connect()) {
      SessionWriter.insert(c, session, project, state("running", 0, 0, "plan"));
      open(project);
      awaitShown(session, dbVersion(c, session), "running");

      Set<Long> seen = new LinkedHashSet<>();
      for (int step = 1; step <= 10; step++) {
        SessionWriter.updateState(c, session, state(step == 10 ? "completed" : "running",
            step * 10, step / 2, "edit_file"));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400);
        while (System.nanoTime() < deadline) {
          Browser.Card card = browser.cards().get(session.toString());
          if (card != null) {
            seen.add(card.version());
          }
          Thread.sleep(40);
        }
      }
      long last = dbVersion(c, session);
      awaitShown(session, last, "completed");
      assertThat(browser.cards().get(session.toString()).progress()).isEqualTo(100);
      assertThat(seen).as("versions shown while the run went on").hasSizeGreaterThanOrEqualTo(5);
    }
  }

  @Test
  void aDroppedSocketAndAGatewayRestartComeBackToTheLatestState() throws Exception {
    UUID project = UUID.randomUUID();
    UUID session = UUID.randomUUID();
    try (Connection c = harness.connect()) {
      SessionWriter.insert(c, session, project, state("running", 10, 0, "read_file"));
      open(project);
      awaitShown(session, dbVersion(c, session), "running");

      browser.script("window.pgbridge.dropConnection();");
      SessionWriter.updateState(c, session, state("running", 20, 1, "bash"));
      SessionWriter.updateState(c, session, state("running", 30, 2, "bash"));
      awaitShown(session, dbVersion(c, session), "running");
      browser.until("live again after the dropped socket", SHOWN,
          b -> b.connection().equals("live"));

      gateway.close();
      browser.until("the page shows it lost the gateway", SHOWN,
          b -> b.connection().equals("offline"));
      SessionWriter.updateState(c, session, state("running", 60, 3, "run_tests"));
      SessionWriter.updateState(c, session, state("completed", 100, 5, "run_tests"));
      gateway = startGateway();
      awaitShown(session, dbVersion(c, session), "completed");
      browser.until("live again after the gateway restarted", SHOWN,
          b -> b.connection().equals("live"));
    }
  }

  @Test
  void aRefreshShowsTheCurrentStateWithoutWaitingForAChange() throws Exception {
    UUID project = UUID.randomUUID();
    UUID session = UUID.randomUUID();
    try (Connection c = harness.connect()) {
      SessionWriter.insert(c, session, project, state("running", 40, 2, "write_file"));
      SessionWriter.updateState(c, session, state("running", 70, 3, "write_file"));
      long version = dbVersion(c, session);
      Awaitility.await().atMost(SHOWN).until(() -> gateway.view().get(session.toString())
          .map(s -> s.version() == version).orElse(false));
      open(project);
      awaitShown(session, version, "running");

      browser.driver.navigate().refresh();
      long refreshed = System.nanoTime();
      awaitShown(session, version, "running");
      assertThat(Duration.ofNanos(System.nanoTime() - refreshed)).as("shown after the refresh")
          .isLessThan(Duration.ofSeconds(5));
      assertThat(browser.cards().get(session.toString()).progress()).isEqualTo(70);
    }
  }

  @Test
  void threeTabsOnOneProjectAllEndOnTheDatabasesStates() throws Exception {
    UUID project = UUID.randomUUID();
    List<UUID> sessions = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      sessions.add(UUID.randomUUID());
    }
    List<String> tabs = new ArrayList<>();
    open(project);
    tabs.add(browser.driver.getWindowHandle());
    for (int i = 0; i < 2; i++) {
      browser.driver.switchTo().newWindow(WindowType.TAB);
      open(project);
      tabs.add(browser.driver.getWindowHandle());
    }
    try (Connection c = harness.connect()) {
      for (UUID s : sessions) {
        SessionWriter.insert(c, s, project, state("running", 0, 0, "plan"));
      }
      for (int round = 1; round <= 10; round++) {
        for (UUID s : sessions) {
          String status = round == 10 ? (s.equals(sessions.get(0)) ? "failed" : "completed")
              : "running";
          SessionWriter.updateState(c, s, state(status, round * 10, round / 2, "tool" + round));
        }
        Thread.sleep(60);
      }
      Map<UUID, SessionWriter.Row> db = SessionWriter.snapshot(c);
      for (String tab : tabs) {
        browser.driver.switchTo().window(tab);
        for (UUID s : sessions) {
          awaitShown(s, db.get(s).version(), db.get(s).state().path("status").asText());
        }
        assertThat(browser.cards()).hasSize(sessions.size());
      }
      browser.screenshots("three-tabs");
    }
  }

  @Test
  void aDeletedSessionDisappears() throws Exception {
    UUID project = UUID.randomUUID();
    UUID kept = UUID.randomUUID();
    UUID deleted = UUID.randomUUID();
    try (Connection c = harness.connect()) {
      SessionWriter.insert(c, kept, project, state("running", 10, 0, "plan"));
      SessionWriter.insert(c, deleted, project, state("completed", 100, 5, "plan"));
      open(project);
      awaitShown(kept, dbVersion(c, kept), "running");
      awaitShown(deleted, dbVersion(c, deleted), "completed");

      SessionWriter.delete(c, deleted);
      browser.until("the deleted session's card is gone", SHOWN,
          b -> !b.cards().containsKey(deleted.toString()));
      assertThat(browser.cards()).containsOnlyKeys(kept.toString());
    }
  }

  @Test
  void theIndicatorTurnsStaleWhenTheBridgesHeartbeatsStopAndLiveWhenTheyResume()
      throws Exception {
    open(UUID.randomUUID());
    browser.until("live while heartbeats arrive", SHOWN, b -> b.connection().equals("live"));
    heartbeats.pause(true);
    try {
      browser.until("stale once heartbeats stopped", SHOWN, b -> b.connection().equals("stale"));
    } finally {
      heartbeats.pause(false);
    }
    browser.until("live again", SHOWN, b -> b.connection().equals("live"));
  }

  @Test
  void theServerSentEventsPageFollowsUpdatesToo() throws Exception {
    UUID project = UUID.randomUUID();
    UUID session = UUID.randomUUID();
    try (Connection c = harness.connect()) {
      SessionWriter.insert(c, session, project, state("running", 5, 0, "plan"));
      browser.driver.get("http://127.0.0.1:" + port + "/?transport=sse&project=" + project);
      awaitSynced();
      awaitShown(session, dbVersion(c, session), "running");
      SessionWriter.updateState(c, session, state("completed", 100, 5, "bash"));
      awaitShown(session, dbVersion(c, session), "completed");
      assertThat(browser.script("return window.pgbridge.transport;")).isEqualTo("sse");
    }
  }
}
