package io.pgbridge.gateway;

import java.util.List;

/** Every problem found in a gateway configuration, reported together; no secret values. */
public final class GatewayConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  public GatewayConfigException(List<String> problems) {
    super(problems.size() + " configuration problem(s):\n  - " + String.join("\n  - ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
