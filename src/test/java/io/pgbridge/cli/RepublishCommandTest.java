package io.pgbridge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgbridge.republish.RepublishRequest.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RepublishCommandTest {

  private static final String A = "8f0e6c1e-3d7b-4a53-9d2c-0a1b2c3d4e5f";
  private static final String B = "00000000-0000-0000-0000-00000000000b";

  private final List<String> problems = new ArrayList<>();

  private RepublishCommand.Request parse(String... args) {
    return RepublishCommand.parse(List.of(args), problems);
  }

  @Test
  void sessionsMayFollowOneOptionOrRepeatIt() {
    RepublishCommand.Request r = parse("--session", A, B, "--session", A, "--wait");
    assertThat(problems).isEmpty();
    assertThat(r.scope()).isEqualTo(Scope.SESSIONS);
    assertThat(r.sessions()).containsExactly(UUID.fromString(A), UUID.fromString(B),
        UUID.fromString(A));
    assertThat(r.await()).isTrue();
    assertThat(r.timeoutSeconds()).isEqualTo(600);
  }

  @Test
  void projectAndAllAreScopesOfTheirOwn() {
    assertThat(parse("--project", A).scope()).isEqualTo(Scope.PROJECT);
    RepublishCommand.Request all = parse("--all", "--wait", "--timeout", "30");
    assertThat(problems).isEmpty();
    assertThat(all.scope()).isEqualTo(Scope.ALL);
    assertThat(all.timeoutSeconds()).isEqualTo(30);
  }

  @Test
  void exactlyOneScopeIsRequired() {
    parse("--wait");
    assertThat(problems).containsExactly(
        "give exactly one of --session ID..., --project ID or --all");
    problems.clear();
    parse("--all", "--session", A);
    assertThat(problems).isNotEmpty();
  }

  @Test
  void badIdsTimeoutsAndArgumentsAreReported() {
    parse("--session", "0e6c1e-3d7b", "--timeout", "soon", "--force");
    assertThat(problems).contains("--session: '0e6c1e-3d7b' is not a UUID",
        "--timeout needs a number of seconds, got soon", "unexpected argument --force");
    problems.clear();
    parse("--project");
    assertThat(problems).contains("--project needs a project id");
    problems.clear();
    parse("--session", "--all");
    assertThat(problems).contains("--session needs at least one session id");
  }
}
