package io.pgbridge.gateway.auth;

/**
 * A request whose credentials are missing or not valid. The message is shown to the client, so
 * it says what is wrong without repeating the credential.
 */
public final class AuthenticationException extends Exception {

  private static final long serialVersionUID = 1L;

  public AuthenticationException(String message) {
    super(message);
  }

  public AuthenticationException(String message, Throwable cause) {
    super(message, cause);
  }
}
