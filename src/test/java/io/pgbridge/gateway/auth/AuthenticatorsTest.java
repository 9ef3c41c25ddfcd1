package io.pgbridge.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgbridge.gateway.GatewayConfig;
import io.pgbridge.gateway.GatewayConfigLoader;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** auth.mode picks the authenticator; a custom one plugs in by class name. */
class AuthenticatorsTest {

  /** A scheme of the platform's own: an API key header naming one project. */
  public static final class ApiKeyAuthenticator implements Authenticator {
    private final String expected;

    public ApiKeyAuthenticator(GatewayConfig config) {
      this.expected = "key-for-" + config.topic();
    }

    @Override
    public Principal authenticate(AuthRequest request) throws AuthenticationException {
      var key = request.headers().get("x-api-key");
      if (key == null || !key.contains(expected)) {
        throw new AuthenticationException("a valid X-Api-Key is required");
      }
      return new Principal("api-key", Set.of("p1"), false, null);
    }
  }

  private static GatewayConfig config(Map<String, String> more) {
    Map<String, String> m = new java.util.HashMap<>(Map.of("kafka.bootstrap.servers",
        "localhost:9092", "topic", "t"));
    m.putAll(more);
    return GatewayConfigLoader.fromMap(m);
  }

  @Test
  void aCustomAuthenticatorIsCreatedFromItsClassName() throws Exception {
    Authenticator a = Authenticators.create(config(Map.of("auth.mode", "custom",
        "auth.custom.class", ApiKeyAuthenticator.class.getName())), Clock.systemUTC());

    Principal p = a.authenticate(new AuthRequest(null,
        Map.of("x-api-key", java.util.List.of("key-for-t")), "127.0.0.1"));
    assertThat(p.mayWatch("p1")).isTrue();
    assertThat(p.mayWatch("p2")).isFalse();
    assertThatThrownBy(() -> a.authenticate(new AuthRequest(null, Map.of(), "127.0.0.1")))
        .hasMessageContaining("X-Api-Key");
  }

  @Test
  void aClassThatIsNotAnAuthenticatorIsAConfigurationProblem() {
    assertThatThrownBy(() -> Authenticators.create(config(Map.of("auth.mode", "custom",
        "auth.custom.class", "java.lang.String")), Clock.systemUTC()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("auth.custom.class");
    assertThatThrownBy(() -> Authenticators.create(config(Map.of("auth.mode", "custom",
        "auth.custom.class", "no.such.Type")), Clock.systemUTC()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no.such.Type");
  }

  @Test
  void noneLetsEveryoneWatchEverything() throws Exception {
    Principal p = Authenticators.create(config(Map.of("auth.mode", "none")), Clock.systemUTC())
        .authenticate(new AuthRequest(null, Map.of(), "x"));
    assertThat(p.mayWatch("anything")).isTrue();
  }
}
