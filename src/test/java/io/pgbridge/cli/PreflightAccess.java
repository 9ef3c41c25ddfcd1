package io.pgbridge.cli;

import io.pgbridge.config.ConfigLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs the start-up checks of {@code check} and {@code run} for tests in other packages. */
public final class PreflightAccess {

  private PreflightAccess() {}

  /** The problems {@code pgbridge check} reports for {@code settings}. */
  public static List<String> problems(Map<String, String> settings) throws InterruptedException {
    return Preflight.run(ConfigLoader.fromMap(settings), new ArrayList<>());
  }

  /** The warnings {@code pgbridge check} prints for {@code settings} (problems must be none). */
  public static List<String> warnings(Map<String, String> settings)
      throws InterruptedException {
    List<String> warnings = new ArrayList<>();
    List<String> problems = Preflight.run(ConfigLoader.fromMap(settings), warnings);
    if (!problems.isEmpty()) {
      throw new AssertionError("unexpected problems: " + problems);
    }
    return warnings;
  }
}
