package io.pgbridge.gateway.auth;

/**
 * Decides who a connecting client is and which projects it may watch. Called on a Jetty
 * request thread for every WebSocket upgrade, SSE request and {@code GET /sessions/{id}}; must
 * be thread-safe and should not block for long (cache remote lookups). Implement it for schemes
 * other than JWT and name the class in {@code auth.custom.class} (a public constructor taking
 * the {@code GatewayConfig}); {@link #close()} runs when the gateway stops.
 */
public interface Authenticator extends AutoCloseable {

  Principal authenticate(AuthRequest request) throws AuthenticationException;

  @Override
  default void close() {}
}
