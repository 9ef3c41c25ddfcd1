package io.pgbridge.config;

import java.util.List;

/** Every problem found in a configuration, reported together; messages hold no secrets. */
public final class ConfigProblems extends RuntimeException {

  private final List<String> problems;

  public ConfigProblems(List<String> problems) {
    super(problems.size() + " configuration problem(s):\n  - " + String.join("\n  - ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
