package io.pgbridge.browser;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The system's headless Chromium driven through its chromedriver ({@code /usr/bin/chromium},
 * {@code /usr/bin/chromedriver}, the Debian packages that {@code .ci/run} installs); nothing is
 * downloaded. Reads what the gateway's page shows: each session card's version, status and
 * progress, and the connection indicator. When Chromium is missing the tests are skipped with a
 * message, except in CI, where they fail unless {@code .ci/run} reported that it could not
 * install Chromium. Test thread only.
 */
final class Browser implements AutoCloseable {

  static final String CHROMIUM = System.getProperty("pgbridge.chromium", "/usr/bin/chromium");
  static final String DRIVER = System.getProperty("pgbridge.chromedriver", "/usr/bin/chromedriver");
  static final Path SCREENSHOTS = Path.of("target", "browser-screenshots");

  final ChromeDriver driver;
  private final Path profile;

  /** Skips (or, in CI, fails) when the browser is not installed. */
  static void requireInstalled() {
    if (new File(CHROMIUM).canExecute() && new File(DRIVER).canExecute()) {
      return;
    }
    String missing = "headless Chromium is not installed (" + CHROMIUM + ", " + DRIVER
        + "): apt-get install chromium chromium-driver, or run .ci/run which installs them";
    String reported = System.getProperty("pgbridge.browser.unavailable", "");
    if (System.getenv("CI") != null && reported.isEmpty()) {
      throw new IllegalStateException(missing);
    }
    Assumptions.abort("browser tests skipped: " + (reported.isEmpty() ? missing : reported));
  }

  Browser() throws IOException {
    profile = Files.createTempDirectory("pgbridge-chromium");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--disable-background-networking", "--disable-extensions",
        "--disable-sync", "--disable-default-apps", "--no-first-run", "--mute-audio",
        "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows", "--disable-component-update",
        "--window-size=1280,900", "--user-data-dir=" + profile);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(DRIVER)).usingAnyFreePort().build();
    driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
  }

  /** What one session card shows. */
  record Card(String id, long version, String status, int progress) {}

  /** The session cards of the current tab, by session id. */
  Map<String, Card> cards() {
    @SuppressWarnings("unchecked")
    List<List<Object>> rows = (List<List<Object>>) ((JavascriptExecutor) driver).executeScript(
        "return Array.from(document.querySelectorAll('.session')).map(e => [e.dataset.sessionId,"
            + " e.dataset.version, e.dataset.status, e.dataset.progress]);");
    Map<String, Card> out = new LinkedHashMap<>();
    for (List<Object> r : rows) {
      out.put((String) r.get(0), new Card((String) r.get(0), Long.parseLong((String) r.get(1)),
          (String) r.get(2), Integer.parseInt((String) r.get(3))));
    }
    return out;
  }

  /** The connection indicator's state: connecting, live, stale or offline. */
  String connection() {
    return (String) ((JavascriptExecutor) driver).executeScript(
        "return document.getElementById('connection').dataset.state;");
  }

  Object script(String js) {
    return ((JavascriptExecutor) driver).executeScript(js);
  }

  /** Polls {@code condition} every 50 ms until it holds; fails with {@code what} after timeout. */
  void until(String what, Duration timeout, Predicate<Browser> condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        if (condition.test(this)) {
          return;
        }
      } catch (RuntimeException e) {
        last = e; // the page is reloading, or a script raced a render
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for: " + what, e);
      }
    }
    throw new AssertionError("not within " + timeout + ": " + what + "; the page shows "
        + safeCards() + ", connection " + safeConnection(), last);
  }

  private Object safeCards() {
    try {
      return cards().values();
    } catch (RuntimeException e) {
      return "?";
    }
  }

  private Object safeConnection() {
    try {
      return connection();
    } catch (RuntimeException e) {
      return "?";
    }
  }

  /** Saves a screenshot of every open tab as {@code target/browser-screenshots/<name>-N.png}. */
  List<Path> screenshots(String name) {
    List<Path> out = new ArrayList<>();
    try {
      Files.createDirectories(SCREENSHOTS);
      String current = driver.getWindowHandle();
      int n = 0;
      for (String handle : driver.getWindowHandles()) {
        driver.switchTo().window(handle);
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Path target = SCREENSHOTS.resolve(name + "-" + (++n) + ".png");
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
        out.add(target);
      }
      driver.switchTo().window(current);
    } catch (IOException | RuntimeException e) {
      System.err.println("could not save screenshots for " + name + ": " + e);
    }
    return out;
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      try (var files = Files.walk(profile)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // a temp directory
      }
    }
  }
}
