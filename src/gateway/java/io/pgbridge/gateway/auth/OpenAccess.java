package io.pgbridge.gateway.auth;

/**
 * {@code auth.mode=none}: every client may watch every project, without credentials. Only for
 * demos and closed networks; the gateway logs a warning when it starts with it.
 */
public final class OpenAccess implements Authenticator {

  @Override
  public Principal authenticate(AuthRequest request) {
    return Principal.anonymousWithEveryProject();
  }
}
